package eci

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// Kind says what a caller should do about a failed call.
type Kind int

const (
	// KindTransient marks a network problem or a server-side failure: retry
	// with backoff.
	KindTransient Kind = iota
	// KindThrottled marks the cloud's rate limit: retry later, more slowly.
	KindThrottled
	// KindRejected marks a wrong request or a resource in the wrong state:
	// the same request will fail again.
	KindRejected
	// KindAuth marks wrong credentials, signature or permissions: retrying
	// will not help until someone fixes them.
	KindAuth
)

func (k Kind) String() string {
	switch k {
	case KindTransient:
		return "Transient"
	case KindThrottled:
		return "Throttled"
	case KindRejected:
		return "Rejected"
	case KindAuth:
		return "Auth"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Retryable reports whether the same call may succeed later.
func (k Kind) Retryable() bool { return k == KindTransient || k == KindThrottled }

// Error is a failed cloud call with the cloud's own code, message and
// request ID, so that users can act on it and support can trace it.
type Error struct {
	Action     string
	Kind       Kind
	Code       string
	Message    string
	RequestID  string
	HTTPStatus int
	cause      error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Action, e.Code)
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request ID %s)", e.RequestID)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.cause }

// AsError returns err as an *Error, classifying errors that did not come from
// this package as transient.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindTransient, Code: "Unknown", Message: err.Error(), cause: err}
}

// Codes that say the caller's identity is at fault rather than the request.
var authCodes = map[string]bool{
	"SignatureDoesNotMatch":                      true,
	"IncompleteSignature":                        true,
	"InvalidAccessKeyId.NotFound":                true,
	"InvalidAccessKeyId.Inactive":                true,
	"InvalidAccessKeyId":                         true,
	"InvalidSecurityToken.Expired":               true,
	"InvalidSecurityToken.Malformed":             true,
	"InvalidSecurityToken.MismatchWithAccessKey": true,
	"InvalidTimeStamp.Expired":                   true,
	"InvalidTimeStamp.Format":                    true,
	"Forbidden.RAM":                              true,
	"Forbidden":                                  true,
	"Forbidden.AccessKeyDisabled":                true,
	"NoPermission":                               true,
}

// Codes that a retry fixes although the cloud answered with a 4xx status.
var transientCodes = map[string]bool{
	// The nonce was seen before: a fresh request gets a fresh one.
	"SignatureNonceUsed": true,
	"InternalError":      true,
	"ServiceUnavailable": true,
}

// classify turns an error of the SDK into an *Error.
func classify(action string, err error) *Error {
	var own *Error
	if errors.As(err, &own) {
		return own
	}
	var server *sdkerrors.ServerError
	if errors.As(err, &server) {
		e := &Error{
			Action:     action,
			Code:       server.ErrorCode(),
			Message:    cleanMessage(server.Message()),
			RequestID:  server.RequestId(),
			HTTPStatus: server.HttpStatus(),
			cause:      err,
		}
		e.Kind = kindOf(e.Code, e.HTTPStatus)
		return e
	}
	var client *sdkerrors.ClientError
	if errors.As(err, &client) {
		return &Error{Action: action, Kind: KindTransient, Code: client.ErrorCode(), Message: client.Message(), cause: err}
	}
	return &Error{Action: action, Kind: KindTransient, Code: "NetworkError", Message: err.Error(), cause: err}
}

func kindOf(code string, httpStatus int) Kind {
	switch {
	case strings.HasPrefix(code, "Throttling"):
		return KindThrottled
	case authCodes[code]:
		return KindAuth
	case transientCodes[code], httpStatus >= http.StatusInternalServerError, httpStatus == http.StatusTooManyRequests:
		return KindTransient
	case httpStatus >= http.StatusBadRequest:
		return KindRejected
	}
	return KindTransient
}

// cleanMessage drops the server's string-to-sign that a signature error
// carries: it is long, useless to a user, and belongs in debug logs only.
func cleanMessage(msg string) string {
	if i := strings.Index(msg, sdkerrors.MessageContain); i >= 0 {
		return strings.TrimSpace(msg[:i])
	}
	return msg
}
