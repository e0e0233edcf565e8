package controllers_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/controllers"
	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
	"github.com/eci-commit-operator/eci-commit-operator/internal/tracker"
)

// The suite runs the real manager against a real kube-apiserver and etcd
// (envtest) and the simulated ECI endpoint, reached through the real SDK
// over HTTP with real signatures. Tests run one after another: they share
// the simulator's fault queue and call counters.

const (
	keyID     = "LTAI5tControllerTestKey"
	keySecret = "controller-test-secret"
	region    = "cn-hangzhou"
	phaseTime = 300 * time.Millisecond
)

var (
	k8s        client.Client
	sim        *ecisim.Server
	reconciler *controllers.ContainerCommitReconciler
	seq        atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()

	sim = ecisim.New(ecisim.Options{PhaseDuration: phaseTime})
	sim.AddCredential(ecisim.Credential{AccessKeyID: keyID, AccessKeySecret: keySecret})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	endpoint, _ := url.Parse(srv.URL)
	clouds, err := eci.NewClientSet(eci.Options{
		Endpoint:    endpoint,
		Credentials: credentials.NewStaticAKCredentialsProvider(keyID, keySecret),
		Timeout:     5 * time.Second,
	}, nil, 8)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	scheme := testenv.Scheme()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Cache:                  cache.Options{ByObject: map[client.Object]cache.ByObject{&eciv1.ContainerCommit{}: {Transform: controllers.TrimForCache}}},
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r := &controllers.ContainerCommitReconciler{
		Client:         mgr.GetClient(),
		APIReader:      mgr.GetAPIReader(),
		Clouds:         clouds,
		Recorder:       mgr.GetEventRecorder(controllers.ControllerName),
		TrackerOptions: tracker.Options{MinInterval: 200 * time.Millisecond, MaxInterval: time.Second},
		AdoptionGrace:  2 * time.Second,
		Backoff: controllers.BackoffOptions{
			TransientBase: 100 * time.Millisecond, TransientMax: time.Second,
			ThrottledBase: 200 * time.Millisecond, ThrottledMax: 2 * time.Second,
		},
	}
	reconciler = r
	if err := r.SetupWithManager(mgr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()

	k8s, err = testenv.NewClient(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// zapLevel keeps test output to errors unless TEST_VERBOSE is set.
func zapLevel() zapcore.Level {
	if os.Getenv("TEST_VERBOSE") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.ErrorLevel
}

// target is a fresh namespace and ECI instance for one test.
type target struct {
	ns, group string
}

func newTarget(t *testing.T, mutate ...func(*ecisim.ContainerGroup)) target {
	t.Helper()
	n := seq.Add(1)
	tg := target{ns: fmt.Sprintf("test-%d", n), group: fmt.Sprintf("eci-bp1test%010d", n)}
	if err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: ctrl.ObjectMeta{Name: tg.ns}}); err != nil {
		t.Fatal(err)
	}
	g := ecisim.ContainerGroup{ID: tg.group, Region: region, Status: "Running", Containers: []string{"app", "sidecar"}}
	for _, m := range mutate {
		m(&g)
	}
	sim.AddContainerGroup(g)
	return tg
}

func (tg target) commit(name string) *eciv1.ContainerCommit {
	return &eciv1.ContainerCommit{
		ObjectMeta: ctrl.ObjectMeta{Name: name, Namespace: tg.ns},
		Spec: eciv1.ContainerCommitSpec{
			RegionID:         region,
			ContainerGroupID: tg.group,
			ContainerName:    "app",
			Image: eciv1.ImageSpec{
				Repository: "registry-vpc.cn-hangzhou.aliyuncs.com/team/app",
				Tag:        "v1",
				Message:    "saved by a test",
				Author:     "tester",
			},
		},
	}
}

// tasksOf returns the simulator's tasks for an instance.
func tasksOf(group string) []ecisim.Task {
	var out []ecisim.Task
	for _, task := range sim.Tasks() {
		if task.ContainerGroupID == group {
			out = append(out, task)
		}
	}
	return out
}

func create(t *testing.T, obj *eciv1.ContainerCommit) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// waitForPhase polls the object until it reaches a final phase or the
// timeout passes, and fails unless that phase is want.
func waitForPhase(t *testing.T, obj *eciv1.ContainerCommit, want eciv1.Phase, timeout time.Duration) *eciv1.ContainerCommit {
	t.Helper()
	got := &eciv1.ContainerCommit{}
	deadline := time.Now().Add(timeout)
	for {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), got); err != nil {
			t.Fatal(err)
		}
		if got.Status.Phase.IsFinished() || (got.Status.Phase == want && !want.IsFinished()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still %q after %s; status: %+v", obj.Name, got.Status.Phase, timeout, got.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got.Status.Phase != want {
		t.Fatalf("%s ended %q, want %q; conditions: %+v", obj.Name, got.Status.Phase, want, got.Status.Conditions)
	}
	return got
}

func condition(obj *eciv1.ContainerCommit, condType string) *metav1.Condition {
	for i := range obj.Status.Conditions {
		if obj.Status.Conditions[i].Type == condType {
			return &obj.Status.Conditions[i]
		}
	}
	return nil
}

// eventReasons returns the reasons of the events about an object.
func eventReasons(t *testing.T, obj *eciv1.ContainerCommit) []string {
	t.Helper()
	var list eventsv1.EventList
	var reasons []string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := k8s.List(context.Background(), &list, client.InNamespace(obj.Namespace)); err != nil {
			t.Fatal(err)
		}
		reasons = reasons[:0]
		for _, e := range list.Items {
			if e.Regarding.Name == obj.Name {
				reasons = append(reasons, e.Reason)
			}
		}
		if len(reasons) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	slices.Sort(reasons)
	return reasons
}

// settle gives the controller time to make any call it should not make.
func settle() { time.Sleep(4 * phaseTime) }

func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s %q does not contain %q", what, s, p)
		}
	}
}
