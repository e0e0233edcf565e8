package eci_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
)

const (
	testKeyID     = "LTAI5tSimulatedKeyID"
	testKeySecret = "simulated-secret-with-&=+/ chars"
	region        = "cn-hangzhou"
	groupID       = "eci-bp1testinstance0001"
)

func newSim(t *testing.T) (*ecisim.Server, *url.URL) {
	t.Helper()
	sim := ecisim.New(ecisim.Options{PhaseDuration: 50 * time.Millisecond})
	sim.AddCredential(ecisim.Credential{AccessKeyID: testKeyID, AccessKeySecret: testKeySecret})
	sim.AddContainerGroup(ecisim.ContainerGroup{ID: groupID, Region: region, Status: "Running", Containers: []string{"app", "sidecar"}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return sim, u
}

func newClient(t *testing.T, endpoint *url.URL, secret string) eci.Client {
	t.Helper()
	c, err := eci.NewClient(eci.Options{
		Endpoint:    endpoint,
		Credentials: credentials.NewStaticAKCredentialsProvider(testKeyID, secret),
		Timeout:     5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func commitRequest() eci.CommitRequest {
	return eci.CommitRequest{
		RegionID: region, ContainerGroupID: groupID, ContainerName: "app",
		Image: eci.Image{
			Repository: "registry-vpc.cn-hangzhou.aliyuncs.com/team/app", Tag: "v1",
			Message: "a message with spaces, & ampersands = equals\nand a newline ü", Author: "alice*~",
		},
		AcrRegistry: &eci.AcrRegistry{InstanceID: "cri-abc", RegionID: region, ArnService: "acs:ram::1:role/a", ArnUser: "acs:ram::2:role/b"},
		Role:        &eci.Role{RoleArn: "acs:ram::1:role/r", RoleType: "service"},
	}
}

func TestCommitSendsEveryParameterSigned(t *testing.T) {
	sim, endpoint := newSim(t)
	c := newClient(t, endpoint, testKeySecret)
	res, err := c.CommitContainer(context.Background(), commitRequest())
	if err != nil {
		t.Fatalf("CommitContainer: %v", err)
	}
	if res.TaskID == "" || res.RequestID == "" {
		t.Fatalf("want task and request IDs, got %+v", res)
	}
	tasks := sim.Tasks()
	if len(tasks) != 1 || tasks[0].ID != res.TaskID {
		t.Fatalf("simulator has tasks %+v, want exactly %s", tasks, res.TaskID)
	}
	want := map[string]string{
		"RegionId": region, "ContainerGroupId": groupID, "ContainerName": "app",
		"Image.Repository": "registry-vpc.cn-hangzhou.aliyuncs.com/team/app", "Image.Tag": "v1",
		"Image.Message": "a message with spaces, & ampersands = equals\nand a newline ü", "Image.Author": "alice*~",
		"AcrRegistryInfo.InstanceId": "cri-abc", "AcrRegistryInfo.RegionId": region,
		"AcrRegistryInfo.ArnService": "acs:ram::1:role/a", "AcrRegistryInfo.ArnUser": "acs:ram::2:role/b",
		"Arn.RoleArn": "acs:ram::1:role/r", "Arn.RoleType": "service",
		"Action": "CommitContainer", "Version": "2018-08-08",
	}
	for k, v := range want {
		if got := tasks[0].Params.Get(k); got != v {
			t.Errorf("parameter %s = %q, want %q", k, got, v)
		}
	}
}

func TestCommitOmitsEmptyOptionalParameters(t *testing.T) {
	sim, endpoint := newSim(t)
	c := newClient(t, endpoint, testKeySecret)
	req := eci.CommitRequest{RegionID: region, ContainerGroupID: groupID, ContainerName: "app",
		Image: eci.Image{Repository: "registry.cn-hangzhou.aliyuncs.com/team/app"}}
	if _, err := c.CommitContainer(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Image.Tag", "Image.Message", "AcrRegistryInfo.InstanceId", "Arn.RoleArn", "Arn.RoleType"} {
		if _, present := sim.Tasks()[0].Params[k]; present {
			t.Errorf("parameter %s sent although empty", k)
		}
	}
}

func TestDescribeByIDsAndByInstanceWithPaging(t *testing.T) {
	_, endpoint := newSim(t)
	c := newClient(t, endpoint, testKeySecret)
	ctx := context.Background()
	var ids []string
	for range 7 {
		res, err := c.CommitContainer(ctx, commitRequest())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.TaskID)
	}
	page, err := c.DescribeCommitContainerTasks(ctx, eci.DescribeRequest{RegionID: region, TaskIDs: ids[:3], MaxResults: eci.MaxDescribeResults})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Tasks) != 3 || page.Tasks[0].TaskID != ids[0] || page.Tasks[0].Status != eci.TaskRunning || page.Tasks[0].ContainerName != "app" {
		t.Fatalf("by IDs: got %+v", page.Tasks)
	}
	if page.Tasks[0].CreationTime.IsZero() {
		t.Error("creation time not parsed")
	}

	var seen []string
	req := eci.DescribeRequest{RegionID: region, ContainerGroupID: groupID, MaxResults: 3}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		page, err := c.DescribeCommitContainerTasks(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if page.TotalCount != 7 {
			t.Errorf("TotalCount = %d, want 7", page.TotalCount)
		}
		for _, task := range page.Tasks {
			seen = append(seen, task.TaskID)
		}
		if page.NextToken == "" {
			break
		}
		req.NextToken = page.NextToken
	}
	if len(seen) != 7 {
		t.Fatalf("paged through %d tasks, want 7", len(seen))
	}
}

func TestTaskRunsToSuccessWithPhases(t *testing.T) {
	_, endpoint := newSim(t)
	c := newClient(t, endpoint, testKeySecret)
	ctx := context.Background()
	res, err := c.CommitContainer(ctx, commitRequest())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		page, err := c.DescribeCommitContainerTasks(ctx, eci.DescribeRequest{RegionID: region, TaskIDs: []string{res.TaskID}})
		if err != nil {
			t.Fatal(err)
		}
		task := page.Tasks[0]
		if task.Status.Finished() {
			if task.Status != eci.TaskSucceeded || task.Progress != "100%" || len(task.Phases) != 3 || task.FinishedTime.IsZero() {
				t.Fatalf("finished task: %+v", task)
			}
			if task.Phases[2].Phase != "PushCommittedImage" || task.Phases[2].RecordTime.IsZero() {
				t.Fatalf("last phase: %+v", task.Phases[2])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still %s", task.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestErrorsAreClassifiedWithCodeAndRequestID(t *testing.T) {
	cases := []struct {
		name     string
		mutate   func(*eci.CommitRequest)
		secret   string
		inject   *ecisim.Fault
		wantCode string
		wantKind eci.Kind
	}{
		{name: "unknown instance", mutate: func(r *eci.CommitRequest) { r.ContainerGroupID = "eci-unknown" }, wantCode: "InvalidParameter", wantKind: eci.KindRejected},
		{name: "unknown container", mutate: func(r *eci.CommitRequest) { r.ContainerName = "nope" }, wantCode: "InvalidParameter", wantKind: eci.KindRejected},
		{name: "wrong secret", secret: "wrong", wantCode: "SignatureDoesNotMatch", wantKind: eci.KindAuth},
		{name: "throttled", inject: &ecisim.Fault{Code: "Throttling.User", HTTPStatus: 400}, wantCode: "Throttling.User", wantKind: eci.KindThrottled},
		{name: "internal error", inject: &ecisim.Fault{Code: "InternalError", HTTPStatus: 500}, wantCode: "InternalError", wantKind: eci.KindTransient},
		{name: "unavailable", inject: &ecisim.Fault{Code: "ServiceUnavailable", HTTPStatus: 503}, wantCode: "ServiceUnavailable", wantKind: eci.KindTransient},
		{name: "ram denied", inject: &ecisim.Fault{Code: "Forbidden.RAM", HTTPStatus: 403}, wantCode: "Forbidden.RAM", wantKind: eci.KindAuth},
		{name: "wrong state", inject: &ecisim.Fault{Code: "IncorrectStatusDetail", HTTPStatus: 403}, wantCode: "IncorrectStatusDetail", wantKind: eci.KindRejected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, endpoint := newSim(t)
			secret := testKeySecret
			if tc.secret != "" {
				secret = tc.secret
			}
			if tc.inject != nil {
				sim.Inject(*tc.inject)
			}
			req := commitRequest()
			if tc.mutate != nil {
				tc.mutate(&req)
			}
			_, err := newClient(t, endpoint, secret).CommitContainer(context.Background(), req)
			var e *eci.Error
			if !errors.As(err, &e) {
				t.Fatalf("want *eci.Error, got %T %v", err, err)
			}
			if e.Code != tc.wantCode || e.Kind != tc.wantKind || e.RequestID == "" || e.Message == "" {
				t.Fatalf("got %+v (%v), want code %s kind %s with request ID", e, e, tc.wantCode, tc.wantKind)
			}
			if sim.Calls("CommitContainer") != 1 {
				t.Fatalf("the client retried on its own: %d calls", sim.Calls("CommitContainer"))
			}
		})
	}
}

func TestSignatureErrorMessageDropsStringToSign(t *testing.T) {
	_, endpoint := newSim(t)
	_, err := newClient(t, endpoint, "wrong").CommitContainer(context.Background(), commitRequest())
	e := eci.AsError(err)
	if e.Message != "Specified signature is not matched with our calculation." {
		t.Fatalf("message = %q", e.Message)
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u, _ := url.Parse(srv.URL)
	srv.Close()
	_, err := newClient(t, u, testKeySecret).DescribeCommitContainerTasks(context.Background(), eci.DescribeRequest{RegionID: region, ContainerGroupID: groupID})
	if e := eci.AsError(err); e.Kind != eci.KindTransient {
		t.Fatalf("got %+v, want transient", e)
	}
}

func TestDescribeRejectsTooManyIDs(t *testing.T) {
	_, endpoint := newSim(t)
	ids := make([]string, eci.MaxDescribeResults+1)
	if _, err := newClient(t, endpoint, testKeySecret).DescribeCommitContainerTasks(context.Background(), eci.DescribeRequest{RegionID: region, TaskIDs: ids}); err == nil {
		t.Fatal("want an error for 51 task IDs")
	}
}

func TestOptionsAreValidated(t *testing.T) {
	if _, err := eci.NewClient(eci.Options{Network: "moon"}); err == nil {
		t.Error("unknown network accepted")
	}
	if _, err := eci.NewClient(eci.Options{Endpoint: &url.URL{Scheme: "ftp", Host: "x"}}); err == nil {
		t.Error("ftp endpoint accepted")
	}
}

func TestCommitWithoutTaskIDIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"RequestId":"R-EMPTY"}`))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	_, err := newClient(t, u, testKeySecret).CommitContainer(context.Background(), commitRequest())
	e := eci.AsError(err)
	if e.Code != "EmptyTaskId" || e.RequestID != "R-EMPTY" || e.Kind != eci.KindTransient {
		t.Fatalf("got %+v", e)
	}
}

func TestCancelledContextMakesNoCall(t *testing.T) {
	sim, endpoint := newSim(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newClient(t, endpoint, testKeySecret).CommitContainer(ctx, commitRequest()); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if sim.Calls("CommitContainer") != 0 {
		t.Fatal("a call was made")
	}
}

// The SDK's client mutates itself on every call; this runs many calls at
// once so that the race detector sees any sharing.
func TestConcurrentCallsAreSafe(t *testing.T) {
	sim, endpoint := newSim(t)
	c := newClient(t, endpoint, testKeySecret)
	const n = 40
	errs := make(chan error, n)
	for i := range n {
		go func() {
			if i%2 == 0 {
				_, err := c.CommitContainer(context.Background(), commitRequest())
				errs <- err
				return
			}
			_, err := c.DescribeCommitContainerTasks(context.Background(), eci.DescribeRequest{RegionID: region, ContainerGroupID: groupID})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(sim.Tasks()); got != n/2 {
		t.Fatalf("%d tasks, want %d", got, n/2)
	}
}

// The SDK panics on an error body whose RequestId is not a string; the
// client must answer with an error instead (found by fuzzing).
func TestMalformedErrorBodyIsAnErrorNotAPanic(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"RequestId":[],"Code":7}`))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	_, err := newClient(t, u, testKeySecret).CommitContainer(context.Background(), commitRequest())
	e := eci.AsError(err)
	if e.Code != "MalformedResponse" || e.Kind != eci.KindTransient || e.HTTPStatus != 0 {
		t.Fatalf("got %+v", e)
	}
}
