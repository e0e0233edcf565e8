package ecisim

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the protocol is HMAC-SHA1 (SignatureVersion 1.0)
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// This file re-derives Alibaba Cloud's RPC signature (SignatureVersion 1.0)
// from the public API reference, independently of the SDK, so that a
// mistake in how our client builds requests shows up as a rejected call.

// percentEncode is RFC 3986 encoding as the signature defines it: every
// byte but unreserved characters is escaped, a space is %20, not +.
func percentEncode(s string) string {
	const unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte(unreserved, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		const hex = "0123456789ABCDEF"
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// stringToSign builds METHOD&%2F&encode(sorted k=v pairs), leaving out the
// Signature parameter itself.
func stringToSign(method string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pairs := make([]string, 0, len(keys))
	for _, k := range keys {
		pairs = append(pairs, percentEncode(k)+"="+percentEncode(params.Get(k)))
	}
	return method + "&" + percentEncode("/") + "&" + percentEncode(strings.Join(pairs, "&"))
}

// sign computes base64(HMAC-SHA1(secret + "&", stringToSign)).
func sign(secret, toSign string) string {
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
