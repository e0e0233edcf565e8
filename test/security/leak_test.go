// Package security runs the manager binary at its highest log verbosity
// through a successful and a failed commit signed with a Secret's STS
// credentials, and checks that the secret and the token appear nowhere:
// not in logs, events, statuses or metrics.
package security

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

func TestNoCredentialLeaksAtHighestVerbosity(t *testing.T) {
	canarySecret := fmt.Sprintf("SecretCanary%d", time.Now().UnixNano())
	canaryToken := fmt.Sprintf("TokenCanary%d", time.Now().UnixNano())
	ownSecret := fmt.Sprintf("OwnSecretCanary%d", time.Now().UnixNano())
	const ns, region, group = "leak", "cn-hangzhou", "eci-leak0001"

	work := t.TempDir()
	cfg, kubeconfig := startAPIServer(t, work)

	sim := ecisim.New(ecisim.Options{PhaseDuration: 200 * time.Millisecond})
	sim.AddCredential(ecisim.Credential{AccessKeyID: "STS.leak", AccessKeySecret: canarySecret, SecurityToken: canaryToken})
	sim.AddCredential(ecisim.Credential{AccessKeyID: "LTAI-own", AccessKeySecret: ownSecret})
	sim.AddContainerGroup(ecisim.ContainerGroup{ID: group, Region: region, Status: "Running", Containers: []string{"app"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	_ = ln.Close()

	mgr := startManager(t, work, append(os.Environ(), "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI-own", "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+ownSecret),
		"--kubeconfig", kubeconfig, "--eci-endpoint", srv.URL, "--eci-insecure-http",
		"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", "0",
		"--tracking-min-interval", "200ms", "--zap-log-level", "10", "--zap-devel")

	k8s, err := testenv.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "good"}, Data: map[string][]byte{
			"accessKeyId": []byte("STS.leak"), "accessKeySecret": []byte(canarySecret), "securityToken": []byte(canaryToken)}},
		// The right token with a wrong secret: the cloud's signature error
		// quotes its string to sign, which holds the token.
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bad"}, Data: map[string][]byte{
			"accessKeyId": []byte("STS.leak"), "accessKeySecret": []byte("wrong-" + canarySecret), "securityToken": []byte(canaryToken)}},
	} {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	commit := func(name, secret string) *eciv1.ContainerCommit {
		return &eciv1.ContainerCommit{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: eciv1.ContainerCommitSpec{
				RegionID: region, ContainerGroupID: group, ContainerName: "app",
				Image:                eciv1.ImageSpec{Repository: "registry-vpc.cn-hangzhou.aliyuncs.com/leak/app", Tag: name},
				CredentialsSecretRef: &eciv1.SecretReference{Name: secret},
			},
		}
	}
	own := commit("own", "")
	own.Spec.CredentialsSecretRef = nil
	for _, o := range []*eciv1.ContainerCommit{commit("good", "good"), commit("bad", "bad"), own} {
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]eciv1.Phase{"good": eciv1.PhaseSucceeded, "bad": eciv1.PhaseFailed, "own": eciv1.PhaseSucceeded}
	deadline := time.Now().Add(60 * time.Second)
	var list eciv1.ContainerCommitList
	for {
		if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, o := range list.Items {
			if o.Status.Phase.IsFinished() {
				done++
			}
		}
		if done == len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("commits did not finish: %+v\n%s", list.Items, tail(mgr.logs(t)))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, o := range list.Items {
		if o.Status.Phase != want[o.Name] {
			t.Errorf("%s ended %s, want %s", o.Name, o.Status.Phase, want[o.Name])
		}
	}

	var events eventsv1.EventList
	if err := k8s.List(ctx, &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	logs := mgr.logs(t) // complete once the manager has exited
	statuses, _ := json.Marshal(list.Items)
	eventDump, _ := json.Marshal(events.Items)

	leaks := 0
	captured := map[string]string{"logs": logs, "events": string(eventDump), "statuses": string(statuses), "metrics": string(metrics)}
	for where, text := range captured {
		for name, canary := range map[string]string{"AccessKey secret": canarySecret, "security token": canaryToken, "controller's own secret": ownSecret} {
			if strings.Contains(text, canary) {
				leaks++
				t.Errorf("the %s leaked into %s", name, where)
			}
		}
	}
	// The capture is real: it holds what the commits did.
	if !strings.Contains(captured["logs"], "Commit task recorded") || !strings.Contains(captured["statuses"], "SignatureDoesNotMatch") ||
		!strings.Contains(captured["metrics"], "eci_commit_operator_cloud_requests_total") || len(events.Items) == 0 {
		t.Errorf("the capture misses the commits' traces: logs %d bytes, %d events", len(captured["logs"]), len(events.Items))
	}
	fmt.Printf("leak check: %d bytes of logs at --zap-log-level=10, %d events, %d statuses, %d bytes of metrics searched for 3 canaries; leaks=%d\n",
		len(captured["logs"]), len(events.Items), len(list.Items), len(metrics), leaks)
}
