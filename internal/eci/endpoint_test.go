package eci

import (
	"net/url"
	"testing"
)

func TestEndpointFollowsRegionNetworkAndOverride(t *testing.T) {
	cases := []struct {
		opts               Options
		scheme, host, name string
	}{
		{Options{}, "https", "eci.cn-hangzhou.aliyuncs.com", "public by default"},
		{Options{Network: NetworkVPC}, "https", "eci-vpc.cn-hangzhou.aliyuncs.com", "vpc"},
		{Options{Endpoint: &url.URL{Scheme: "http", Host: "127.0.0.1:18080"}}, "http", "127.0.0.1:18080", "override"},
	}
	for _, c := range cases {
		cl, err := NewClient(c.opts)
		if err != nil {
			t.Fatal(err)
		}
		scheme, host := cl.(*sdkClient).endpoint("cn-hangzhou")
		if scheme != c.scheme || host != c.host {
			t.Errorf("%s: %s://%s, want %s://%s", c.name, scheme, host, c.scheme, c.host)
		}
	}
}
