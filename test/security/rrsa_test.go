package security

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

// TestRRSAEndToEnd runs the manager as an ACK pod with RRSA would: no
// AccessKey, only a role ARN, an OIDC provider ARN and a projected token
// file. The manager must trade the token for STS credentials with
// AssumeRoleWithOIDC over TLS (a test CA it trusts through SSL_CERT_FILE),
// and sign its ECI calls, over TLS too, with them and their token.
func TestRRSAEndToEnd(t *testing.T) {
	const (
		ns, region, group = "rrsa", "cn-hangzhou", "eci-rrsa0001"
		roleArn           = "acs:ram::1609982529000000:role/eci-committer"
		providerArn       = "acs:ram::1609982529000000:oidc-provider/ack-rrsa-c1"
		token             = "eyJhbGciOiJSUzI1NiJ9.projected-service-account-token.sig"
	)
	work := t.TempDir()
	cfg, kubeconfig := startAPIServer(t, work)
	tokenFile := filepath.Join(work, "token")
	caFile := filepath.Join(work, "ca.pem")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}

	sim := ecisim.New(ecisim.Options{PhaseDuration: 200 * time.Millisecond})
	sim.AddOIDCRole(ecisim.OIDCRole{RoleArn: roleArn, OIDCProviderArn: providerArn, Token: token})
	sim.AddContainerGroup(ecisim.ContainerGroup{ID: group, Region: region, Status: "Running", Containers: []string{"app"}})
	srv := httptest.NewTLSServer(sim)
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	host := srv.Listener.Addr().String()

	// Only the RRSA environment: no AccessKey anywhere.
	mgr := startManager(t, work, []string{
		"HOME=" + work, "PATH=" + os.Getenv("PATH"), "SSL_CERT_FILE=" + caFile,
		"ALIBABA_CLOUD_ROLE_ARN=" + roleArn, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN=" + providerArn, "ALIBABA_CLOUD_OIDC_TOKEN_FILE=" + tokenFile,
	}, "--kubeconfig", kubeconfig, "--eci-endpoint", "https://"+host, "--sts-endpoint", host,
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "--tracking-min-interval", "200ms")

	k8s, err := testenv.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	obj := &eciv1.ContainerCommit{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-pod-identity"},
		Spec: eciv1.ContainerCommitSpec{RegionID: region, ContainerGroupID: group, ContainerName: "app",
			Image: eciv1.ImageSpec{Repository: "registry-vpc.cn-hangzhou.aliyuncs.com/rrsa/app", Tag: "v1"}},
	}
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	waitForPhase(t, k8s, mgr, obj, eciv1.PhaseSucceeded)

	issued := sim.IssuedSTSCredentials()
	tasks := sim.Tasks()
	if len(issued) == 0 || sim.Calls("AssumeRoleWithOIDC") == 0 {
		t.Fatal("no STS credentials were issued")
	}
	if len(tasks) != 1 || tasks[0].Params.Get("AccessKeyId") != issued[0].AccessKeyID || tasks[0].Params.Get("SecurityToken") != issued[0].SecurityToken {
		t.Fatalf("the commit was not signed with the STS credentials: %v", tasks)
	}
	fmt.Printf("rrsa: AssumeRoleWithOIDC calls=%d, commit signed by %s with its security token over TLS\n", sim.Calls("AssumeRoleWithOIDC"), issued[0].AccessKeyID)
}
