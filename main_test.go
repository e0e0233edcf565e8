package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The shipped binary must not carry the simulator or test helpers.
func TestManagerDoesNotLinkTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasSuffix(pkg, "/internal/ecisim") || strings.HasSuffix(pkg, "/internal/testenv") || strings.Contains(pkg, "controller-runtime/pkg/envtest") {
			t.Errorf("the manager links %s", pkg)
		}
	}
}

func TestEndpointFlagMustBeAURL(t *testing.T) {
	for _, bad := range []string{"127.0.0.1:18080", "eci.cn-hangzhou.aliyuncs.com", "ftp://host"} {
		if _, err := newClouds(options{eciEndpoint: bad, eciNetwork: "public", cloudQPS: 1, eciInsecureHTTP: true}); err == nil {
			t.Errorf("--eci-endpoint %q accepted", bad)
		}
	}
	if _, err := newClouds(options{eciEndpoint: "http://127.0.0.1:18080", eciNetwork: "public", cloudQPS: 1}); err == nil {
		t.Error("a plain-HTTP endpoint accepted without --eci-insecure-http")
	}
	if _, err := newClouds(options{eciEndpoint: "http://127.0.0.1:18080", eciNetwork: "public", cloudQPS: 1, eciInsecureHTTP: true}); err != nil {
		t.Errorf("a plain-HTTP simulator URL rejected with --eci-insecure-http: %v", err)
	}
	if _, err := newClouds(options{eciEndpoint: "https://eci.example.internal", eciNetwork: "public", cloudQPS: 1}); err != nil {
		t.Errorf("an HTTPS endpoint rejected: %v", err)
	}
	if _, err := newClouds(options{eciNetwork: "public", cloudQPS: 0}); err == nil {
		t.Error("--cloud-qps 0 accepted")
	}
	t.Setenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "")
	if _, err := newClouds(options{eciNetwork: "public", cloudQPS: 1, stsEndpoint: "sts.example.internal"}); err == nil {
		t.Error("--sts-endpoint accepted without the RRSA environment")
	}
}

func TestWatchNamespaceFlag(t *testing.T) {
	var n namespaceList
	for _, v := range []string{"team-a,team-b", " team-c ", "team-a", ""} {
		if err := n.Set(v); err != nil {
			t.Fatal(err)
		}
	}
	if n.String() != "team-a,team-b,team-c" || len(n.cacheConfig()) != 3 {
		t.Fatalf("namespaces %q, cache %v", n.String(), n.cacheConfig())
	}
	if (namespaceList{}).cacheConfig() != nil {
		t.Error("an unscoped controller must watch the whole cluster")
	}
}
