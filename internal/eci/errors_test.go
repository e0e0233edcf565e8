package eci

import (
	"errors"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

func TestKindOfCodes(t *testing.T) {
	cases := []struct {
		code   string
		status int
		want   Kind
	}{
		{"Throttling", 400, KindThrottled},
		{"Throttling.User", 400, KindThrottled},
		{"Throttling.Api", 400, KindThrottled},
		{"InvalidAccessKeyId.NotFound", 404, KindAuth},
		{"Forbidden.RAM", 403, KindAuth},
		{"InvalidTimeStamp.Expired", 400, KindAuth},
		{"SignatureNonceUsed", 400, KindTransient},
		{"InternalError", 500, KindTransient},
		{"ServiceUnavailable", 503, KindTransient},
		{"SomethingNew", 502, KindTransient},
		{"TooMany", 429, KindTransient},
		{"InvalidParameter", 400, KindRejected},
		{"IncorrectStatusDetail", 403, KindRejected},
		{"SomethingNew", 404, KindRejected},
		{"Odd", 302, KindTransient},
	}
	for _, c := range cases {
		if got := kindOf(c.code, c.status); got != c.want {
			t.Errorf("kindOf(%s, %d) = %s, want %s", c.code, c.status, got, c.want)
		}
	}
}

func TestClassifyKeepsTheCloudsWords(t *testing.T) {
	server := sdkerrors.NewServerError(403, `{"RequestId":"R-1","Code":"IncorrectStatusDetail","Message":"not running"}`, "")
	e := classify("CommitContainer", server)
	if e.Kind != KindRejected || e.Code != "IncorrectStatusDetail" || e.Message != "not running" || e.RequestID != "R-1" || e.HTTPStatus != 403 {
		t.Fatalf("got %+v", e)
	}
	if e.Error() != "CommitContainer: IncorrectStatusDetail: not running (request ID R-1)" {
		t.Errorf("Error() = %q", e.Error())
	}
	if !errors.Is(e, server) {
		t.Error("the SDK error is not kept as the cause")
	}

	client := classify("DescribeCommitContainerTask", sdkerrors.NewClientError("SDK.TimeoutError", "read timeout", nil))
	if client.Kind != KindTransient || client.Code != "SDK.TimeoutError" || client.HTTPStatus != 0 {
		t.Errorf("client error: %+v", client)
	}
	plain := classify("CommitContainer", errors.New("credentials: no provider"))
	if plain.Kind != KindTransient || plain.Code != "NetworkError" {
		t.Errorf("plain error: %+v", plain)
	}
	if (&Error{Action: "A", Code: "C"}).Error() != "A: C" {
		t.Error("Error() without message or request ID")
	}
}

func TestAsError(t *testing.T) {
	e := &Error{Code: "X", Kind: KindAuth}
	if AsError(e) != e {
		t.Error("an *Error is not returned as is")
	}
	other := AsError(errors.New("boom"))
	if other.Kind != KindTransient || other.Code != "Unknown" || other.Message != "boom" {
		t.Errorf("got %+v", other)
	}
}

func TestKindStringAndRetryable(t *testing.T) {
	for k, want := range map[Kind]string{KindTransient: "Transient", KindThrottled: "Throttled", KindRejected: "Rejected", KindAuth: "Auth", Kind(9): "Kind(9)"} {
		if k.String() != want {
			t.Errorf("%d: %s", int(k), k.String())
		}
	}
	if !KindTransient.Retryable() || !KindThrottled.Retryable() || KindRejected.Retryable() || KindAuth.Retryable() {
		t.Error("Retryable")
	}
}

func TestParseTimeIsLenient(t *testing.T) {
	if !parseTime("").IsZero() || !parseTime("yesterday").IsZero() {
		t.Error("bad timestamps must read as zero")
	}
	if parseTime("2023-01-05T14:06:40.920005316+08:00").IsZero() || parseTime("2023-03-06T08:22:40Z").IsZero() {
		t.Error("documented timestamps not parsed")
	}
}
