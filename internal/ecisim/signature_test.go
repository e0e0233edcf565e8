package ecisim

import (
	"net/url"
	"testing"
)

// The worked example of Alibaba Cloud's RPC signature documentation: an
// independent check that the simulator signs as the cloud does.
func TestSignatureMatchesThePublishedExample(t *testing.T) {
	params := url.Values{
		"AccessKeyId":      {"testid"},
		"Action":           {"DescribeRegions"},
		"Format":           {"XML"},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureNonce":   {"3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
		"SignatureVersion": {"1.0"},
		"Timestamp":        {"2016-02-23T12:46:24Z"},
		"Version":          {"2014-05-26"},
	}
	const wantToSign = "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
	toSign := stringToSign("GET", params)
	if toSign != wantToSign {
		t.Fatalf("string to sign:\n got %s\nwant %s", toSign, wantToSign)
	}
	if got := sign("testsecret", toSign); got != "OLeaidS1JvxuMvnyHOwuJ+uX5qY=" {
		t.Fatalf("signature %s, want OLeaidS1JvxuMvnyHOwuJ+uX5qY=", got)
	}
}

func TestPercentEncodeFollowsRFC3986(t *testing.T) {
	cases := map[string]string{
		"a b":    "a%20b",
		"*":      "%2A",
		"~-_.":   "~-_.",
		"a+b=c&": "a%2Bb%3Dc%26",
		"ü\n":    "%C3%BC%0A",
		"/":      "%2F",
	}
	for in, want := range cases {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}
