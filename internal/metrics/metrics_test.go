package metrics

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/prometheus/client_golang/prometheus/testutil"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
)

func TestInstrumentedClientCountsCallsByActionAndCode(t *testing.T) {
	sim := ecisim.New(ecisim.Options{})
	sim.AddCredential(ecisim.Credential{AccessKeyID: "id", AccessKeySecret: "secret"})
	sim.AddContainerGroup(ecisim.ContainerGroup{ID: "eci-m", Region: "cn-hangzhou", Status: "Running", Containers: []string{"app"}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	raw, err := eci.NewClient(eci.Options{Endpoint: u, Credentials: credentials.NewStaticAKCredentialsProvider("id", "secret"), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := InstrumentClient(raw)
	sim.Inject(ecisim.Fault{Action: "CommitContainer", Code: "Throttling.User", HTTPStatus: 400})
	req := eci.CommitRequest{RegionID: "cn-hangzhou", ContainerGroupID: "eci-m", ContainerName: "app",
		Image: eci.Image{Repository: "registry.cn-hangzhou.aliyuncs.com/ns/app"}}
	okBefore := testutil.ToFloat64(cloudRequests.WithLabelValues("CommitContainer", "OK"))
	throttledBefore := testutil.ToFloat64(cloudRequests.WithLabelValues("CommitContainer", "Throttling.User"))
	if _, err := c.CommitContainer(context.Background(), req); err == nil {
		t.Fatal("the injected fault did not reach the caller")
	}
	if _, err := c.CommitContainer(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DescribeCommitContainerTasks(context.Background(), eci.DescribeRequest{RegionID: "cn-hangzhou", ContainerGroupID: "eci-m"}); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(cloudRequests.WithLabelValues("CommitContainer", "OK")) - okBefore; got != 1 {
		t.Errorf("OK commits counted %v, want 1", got)
	}
	if got := testutil.ToFloat64(cloudRequests.WithLabelValues("CommitContainer", "Throttling.User")) - throttledBefore; got != 1 {
		t.Errorf("throttled commits counted %v, want 1", got)
	}
	if n := testutil.CollectAndCount(cloudLatency); n < 2 {
		t.Errorf("latency series for %d actions, want 2", n)
	}
}

func TestRegisteredMetricsAreServedWithTheirNames(t *testing.T) {
	Register(func() int { return 7 })
	ObserveRateLimiterWait("cn-hangzhou", 3*time.Millisecond)
	CommitsStarted.Inc()
	CommitsFinished.WithLabelValues("succeeded", "Succeeded").Inc()
	CommitDuration.WithLabelValues("succeeded").Observe(42)
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
		if f.GetName() == "eci_commit_operator_tracked_tasks" && f.GetMetric()[0].GetGauge().GetValue() != 7 {
			t.Errorf("tracked_tasks = %v, want 7", f.GetMetric()[0].GetGauge().GetValue())
		}
	}
	for _, want := range []string{"commits_started_total", "commits_finished_total", "commit_duration_seconds",
		"tracked_tasks", "rate_limiter_wait_seconds"} {
		if !names["eci_commit_operator_"+want] {
			t.Errorf("eci_commit_operator_%s is not served; have %s", want, strings.Join(keys(names), " "))
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
