package ecisim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	testKey    = "LTAI5tSimTest"
	testSecret = "sim-secret"
	stsKey     = "STS.SimTest"
	stsSecret  = "sts-secret"
	stsToken   = "sts-token"
)

type fixture struct {
	sim   *Server
	srv   *httptest.Server
	now   time.Time
	nonce int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	f.sim = New(Options{PhaseDuration: time.Second, Clock: func() time.Time { return f.now }})
	f.sim.AddCredential(Credential{AccessKeyID: testKey, AccessKeySecret: testSecret})
	f.sim.AddCredential(Credential{AccessKeyID: stsKey, AccessKeySecret: stsSecret, SecurityToken: stsToken})
	f.sim.AddContainerGroup(ContainerGroup{ID: "eci-1", Region: "cn-hangzhou", Status: "Running", Containers: []string{"app"}})
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(f.srv.Close)
	return f
}

// signed returns a request's parameters with the common ones and a valid
// signature; mutate runs before signing, after lets a test break them.
func (f *fixture) signed(action string, extra map[string]string, secret string) url.Values {
	f.nonce++
	p := url.Values{
		"Action": {action}, "Version": {APIVersion}, "Format": {"JSON"},
		"AccessKeyId": {testKey}, "SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"},
		"SignatureNonce": {fmt.Sprint("nonce-", f.nonce)}, "Timestamp": {f.now.Format("2006-01-02T15:04:05Z")},
	}
	for k, v := range extra {
		p.Set(k, v)
	}
	p.Set("Signature", sign(secret, stringToSign(http.MethodPost, p)))
	return p
}

type answer struct {
	status int
	body   map[string]any
}

func (f *fixture) post(t *testing.T, p url.Values) answer {
	t.Helper()
	resp, err := http.Post(f.srv.URL+"/?"+p.Encode(), "application/x-www-form-urlencoded", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("answer is not JSON: %s", raw)
	}
	if a.body["RequestId"] == "" {
		t.Fatalf("answer without RequestId: %s", raw)
	}
	return a
}

func (a answer) code() string { s, _ := a.body["Code"].(string); return s }

var commitParams = map[string]string{
	"RegionId": "cn-hangzhou", "ContainerGroupId": "eci-1", "ContainerName": "app",
	"Image.Repository": "registry.cn-hangzhou.aliyuncs.com/ns/repo",
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

func TestAuthenticationFailures(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name   string
		params func() url.Values
		status int
		code   string
	}{
		{"wrong secret", func() url.Values { return f.signed("CommitContainer", commitParams, "wrong") }, 400, "SignatureDoesNotMatch"},
		{"tampered parameter", func() url.Values {
			p := f.signed("CommitContainer", commitParams, testSecret)
			p.Set("ContainerName", "other")
			return p
		}, 400, "SignatureDoesNotMatch"},
		{"unknown key", func() url.Values {
			p := f.signed("CommitContainer", commitParams, testSecret)
			p.Set("AccessKeyId", "LTAI-nobody")
			return p
		}, 404, "InvalidAccessKeyId.NotFound"},
		{"missing signature", func() url.Values {
			p := f.signed("CommitContainer", commitParams, testSecret)
			p.Del("Signature")
			return p
		}, 400, "MissingParameter"},
		{"unsupported method", func() url.Values {
			return f.signed("CommitContainer", with(commitParams, "SignatureMethod", "HMAC-SHA256"), testSecret)
		}, 400, "InvalidParameter"},
		{"expired timestamp", func() url.Values {
			return f.signed("CommitContainer", with(commitParams, "Timestamp", f.now.Add(-16*time.Minute).Format("2006-01-02T15:04:05Z")), testSecret)
		}, 400, "InvalidTimeStamp.Expired"},
		{"malformed timestamp", func() url.Values {
			return f.signed("CommitContainer", with(commitParams, "Timestamp", "yesterday"), testSecret)
		}, 400, "InvalidTimeStamp.Format"},
		{"sts without token", func() url.Values {
			return f.signed("CommitContainer", with(commitParams, "AccessKeyId", stsKey), stsSecret)
		}, 400, "InvalidSecurityToken.MismatchWithAccessKey"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := f.post(t, tc.params())
			if a.status != tc.status || a.code() != tc.code {
				t.Fatalf("got %d %s (%v), want %d %s", a.status, a.code(), a.body["Message"], tc.status, tc.code)
			}
		})
	}
	if len(f.sim.Tasks()) != 0 {
		t.Fatal("a rejected call created a task")
	}
	if got := f.sim.ErrorAnswers("SignatureDoesNotMatch"); got != 2 {
		t.Errorf("ErrorAnswers(SignatureDoesNotMatch) = %d, want 2", got)
	}
}

func TestSignatureErrorCarriesTheServersStringToSign(t *testing.T) {
	f := newFixture(t)
	a := f.post(t, f.signed("CommitContainer", commitParams, "wrong"))
	if msg, _ := a.body["Message"].(string); !strings.Contains(msg, "server string to sign is:POST&%2F&") {
		t.Fatalf("message %q", msg)
	}
}

func TestSTSTokenAndNonceReplay(t *testing.T) {
	f := newFixture(t)
	p := f.signed("CommitContainer", with(commitParams, "AccessKeyId", stsKey, "SecurityToken", stsToken), stsSecret)
	if a := f.post(t, p); a.status != 200 {
		t.Fatalf("STS call: %d %v", a.status, a.body)
	}
	if a := f.post(t, p); a.code() != "SignatureNonceUsed" {
		t.Fatalf("replay: %d %v", a.status, a.body)
	}
	if len(f.sim.Tasks()) != 1 {
		t.Fatalf("tasks: %d", len(f.sim.Tasks()))
	}
}

func TestCommitContainerValidation(t *testing.T) {
	f := newFixture(t)
	f.sim.AddContainerGroup(ContainerGroup{ID: "eci-stopped", Region: "cn-hangzhou", Status: "Stopped", Containers: []string{"app"}})
	f.sim.AddContainerGroup(ContainerGroup{ID: "eci-volume", Region: "cn-hangzhou", Status: "Running", Containers: []string{"app"}, UnsupportedVolume: true})
	f.sim.AddContainerGroup(ContainerGroup{ID: "eci-noaction", Region: "cn-hangzhou", Status: "Running", Containers: []string{"app"}, CommitUnsupported: true})
	cases := []struct {
		name   string
		params map[string]string
		status int
		code   string
	}{
		{"missing region", with(commitParams, "RegionId", ""), 400, "MissingParameter"},
		{"missing repository", with(commitParams, "Image.Repository", ""), 400, "MissingParameter"},
		{"unknown instance", with(commitParams, "ContainerGroupId", "eci-nope"), 400, "InvalidParameter"},
		{"instance in another region", with(commitParams, "RegionId", "cn-beijing"), 400, "InvalidParameter"},
		{"unknown container", with(commitParams, "ContainerName", "nope"), 400, "InvalidParameter"},
		{"not ACR", with(commitParams, "Image.Repository", "docker.io/library/nginx"), 400, "InvalidParameter"},
		{"bad role type", with(commitParams, "Arn.RoleType", "user"), 400, "InvalidParameter"},
		{"stopped", with(commitParams, "ContainerGroupId", "eci-stopped"), 403, "IncorrectStatusDetail"},
		{"volume", with(commitParams, "ContainerGroupId", "eci-volume"), 403, "InvalidVolumeType"},
		{"action", with(commitParams, "ContainerGroupId", "eci-noaction"), 403, "InvalidAction"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := f.post(t, f.signed("CommitContainer", tc.params, testSecret))
			if a.status != tc.status || a.code() != tc.code {
				t.Fatalf("got %d %s (%v), want %d %s", a.status, a.code(), a.body["Message"], tc.status, tc.code)
			}
		})
	}
	custom := with(commitParams, "Image.Repository", "images.example.com/ns/repo", "AcrRegistryInfo.InstanceId", "cri-1")
	if a := f.post(t, f.signed("CommitContainer", custom, testSecret)); a.status != 200 {
		t.Fatalf("custom domain with an ACR instance: %d %v", a.status, a.body)
	}
	if a := f.post(t, f.signed("NoSuchAction", nil, testSecret)); a.code() != "InvalidAction.NotFound" {
		t.Fatalf("unknown action: %v", a.body)
	}
	if a := f.post(t, f.signed("CommitContainer", with(commitParams, "Version", "2014-05-26"), testSecret)); a.code() != "InvalidVersion" {
		t.Fatalf("wrong version: %v", a.body)
	}
	if a := f.post(t, f.signed("CommitContainer", with(commitParams, "Format", "XML"), testSecret)); a.code() != "InvalidParameter" {
		t.Fatalf("XML format: %v", a.body)
	}
}

func TestTaskLifecycleFollowsTheClock(t *testing.T) {
	f := newFixture(t)
	f.sim.AddContainerGroup(ContainerGroup{ID: "eci-fail", Region: "cn-hangzhou", Status: "Running", Containers: []string{"app"},
		FailAtPhase: "CommitContainer", FailMessage: "disk full"})
	ok := f.post(t, f.signed("CommitContainer", commitParams, testSecret)).body["TaskId"].(string)
	bad := f.post(t, f.signed("CommitContainer", with(commitParams, "ContainerGroupId", "eci-fail"), testSecret)).body["TaskId"].(string)

	check := func(id, status, progress string, phases int) {
		t.Helper()
		if s, p, found := f.sim.TaskState(id); !found || s != status || p != progress {
			t.Fatalf("%s: %s %s (found %v), want %s %s", id, s, p, found, status, progress)
		}
		a := f.post(t, f.signed("DescribeCommitContainerTask", map[string]string{"RegionId": "cn-hangzhou", "TaskId.1": id}, testSecret))
		task := a.body["CommitTasks"].([]any)[0].(map[string]any)
		if got := len(task["CommitPhaseInfos"].([]any)); got != phases {
			t.Fatalf("%s: %d phases, want %d", id, got, phases)
		}
	}
	check(ok, "Running", "0%", 0)
	f.now = f.now.Add(1500 * time.Millisecond)
	check(ok, "Running", "33%", 1)
	check(bad, "Running", "33%", 1)
	f.now = f.now.Add(time.Second)
	check(ok, "Running", "66%", 2)
	check(bad, "Failed", "33%", 2)
	f.now = f.now.Add(time.Second)
	check(ok, "Succeeded", "100%", 3)
	if _, _, found := f.sim.TaskState("t-none"); found {
		t.Fatal("unknown task found")
	}
}

func TestDescribePagingAndFilters(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		f.post(t, f.signed("CommitContainer", commitParams, testSecret))
	}
	byGroup := map[string]string{"RegionId": "cn-hangzhou", "ContainerGroupId": "eci-1", "MaxResults": "2"}
	a := f.post(t, f.signed("DescribeCommitContainerTask", byGroup, testSecret))
	if a.body["TotalCount"].(float64) != 5 || a.body["MaxResults"] != "2" || len(a.body["CommitTasks"].([]any)) != 2 {
		t.Fatalf("first page: %v", a.body)
	}
	if f.sim.DescribedTaskIDs() != 0 {
		t.Errorf("DescribedTaskIDs = %d after describes by instance", f.sim.DescribedTaskIDs())
	}
	next := a.body["NextToken"].(string)
	last := f.post(t, f.signed("DescribeCommitContainerTask", with(byGroup, "NextToken", next, "MaxResults", "50"), testSecret))
	if len(last.body["CommitTasks"].([]any)) != 3 || last.body["NextToken"] != "" {
		t.Fatalf("last page: %v", last.body)
	}
	if a := f.post(t, f.signed("DescribeCommitContainerTask", with(byGroup, "TaskStatus", "Succeeded"), testSecret)); a.body["TotalCount"].(float64) != 0 {
		t.Fatalf("status filter: %v", a.body)
	}
	if a := f.post(t, f.signed("DescribeCommitContainerTask", with(byGroup, "RegionId", "cn-beijing"), testSecret)); a.body["TotalCount"].(float64) != 0 {
		t.Fatalf("region filter: %v", a.body)
	}
	for name, params := range map[string]map[string]string{
		"no region":    with(byGroup, "RegionId", ""),
		"no selector":  {"RegionId": "cn-hangzhou"},
		"page too big": with(byGroup, "MaxResults", "51"),
		"bad token":    with(byGroup, "NextToken", "!!"),
		"bad status":   with(byGroup, "TaskStatus", "Paused"),
	} {
		if a := f.post(t, f.signed("DescribeCommitContainerTask", params, testSecret)); a.status != 400 {
			t.Errorf("%s: %d %v, want 400", name, a.status, a.body)
		}
	}
}

func TestFaultsAreServedInOrderAndCounted(t *testing.T) {
	f := newFixture(t)
	f.sim.Inject(Fault{Action: "DescribeCommitContainerTask", Code: "Throttling.Api", HTTPStatus: 400, Times: 2})
	f.sim.Inject(Fault{Code: "ServiceUnavailable", HTTPStatus: 503})
	f.sim.Inject(Fault{Code: "InternalError"})
	describe := map[string]string{"RegionId": "cn-hangzhou", "ContainerGroupId": "eci-1"}
	want := []struct {
		action string
		status int
		code   string
	}{
		{"CommitContainer", 503, "ServiceUnavailable"},
		{"DescribeCommitContainerTask", 400, "Throttling.Api"},
		{"DescribeCommitContainerTask", 400, "Throttling.Api"},
		{"DescribeCommitContainerTask", 500, "InternalError"},
		{"DescribeCommitContainerTask", 200, ""},
	}
	for i, w := range want {
		params := commitParams
		if w.action != "CommitContainer" {
			params = describe
		}
		a := f.post(t, f.signed(w.action, params, testSecret))
		if a.status != w.status || a.code() != w.code {
			t.Fatalf("call %d: %d %s, want %d %s", i, a.status, a.code(), w.status, w.code)
		}
	}
	if f.sim.Calls("DescribeCommitContainerTask") != 4 || f.sim.Calls("CommitContainer") != 1 {
		t.Fatalf("calls: describe %d commit %d", f.sim.Calls("DescribeCommitContainerTask"), f.sim.Calls("CommitContainer"))
	}
	if len(f.sim.Tasks()) != 0 {
		t.Fatal("a faulted commit created a task")
	}
}

func TestDroppedResponseStillCreatesTheTask(t *testing.T) {
	f := newFixture(t)
	f.sim.Inject(Fault{Action: "CommitContainer", DropResponse: true})
	p := f.signed("CommitContainer", commitParams, testSecret)
	resp, err := http.Post(f.srv.URL+"/?"+p.Encode(), "application/x-www-form-urlencoded", nil)
	if err == nil {
		_ = resp.Body.Close()
		t.Fatalf("got an answer %d, want a closed connection", resp.StatusCode)
	}
	if len(f.sim.Tasks()) != 1 || f.sim.DroppedResponses() != 1 {
		t.Fatalf("tasks %d dropped %d, want 1 and 1", len(f.sim.Tasks()), f.sim.DroppedResponses())
	}
}

func TestLatencyDelaysAnswers(t *testing.T) {
	f := newFixture(t)
	f.sim.SetLatency(50 * time.Millisecond)
	start := time.Now()
	f.post(t, f.signed("DescribeCommitContainerTask", map[string]string{"RegionId": "cn-hangzhou", "ContainerGroupId": "eci-1"}, testSecret))
	if time.Since(start) < 50*time.Millisecond {
		t.Fatal("answer came before the latency")
	}
}

func TestContainerGroupStatusCanChange(t *testing.T) {
	f := newFixture(t)
	f.sim.SetContainerGroupStatus("eci-1", "Stopped")
	if a := f.post(t, f.signed("CommitContainer", commitParams, testSecret)); a.code() != "IncorrectStatusDetail" {
		t.Fatalf("got %v", a.body)
	}
}

func TestMalformedQueryIsRejected(t *testing.T) {
	f := newFixture(t)
	resp, err := http.Post(f.srv.URL+"/?Action=%zz", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != 400 {
		t.Fatalf("status %d, want 400", resp.StatusCode)
	}
}

func TestDroppedRequestHasNoEffect(t *testing.T) {
	f := newFixture(t)
	f.sim.Inject(Fault{Action: "CommitContainer", DropRequest: true})
	p := f.signed("CommitContainer", commitParams, testSecret)
	if resp, err := http.Post(f.srv.URL+"/?"+p.Encode(), "application/x-www-form-urlencoded", nil); err == nil {
		_ = resp.Body.Close()
		t.Fatalf("got an answer %d, want a closed connection", resp.StatusCode)
	}
	if len(f.sim.Tasks()) != 0 || f.sim.Injected()["DropRequest"] != 1 {
		t.Fatalf("tasks %d injected %v", len(f.sim.Tasks()), f.sim.Injected())
	}
}

func TestHiddenTasksAppearLater(t *testing.T) {
	f := newFixture(t)
	f.sim.Inject(Fault{Action: "CommitContainer", HideFor: 5 * time.Second, Code: "unused", DropResponse: true})
	p := f.signed("CommitContainer", commitParams, testSecret)
	if resp, err := http.Post(f.srv.URL+"/?"+p.Encode(), "application/x-www-form-urlencoded", nil); err == nil {
		_ = resp.Body.Close()
	}
	byGroup := map[string]string{"RegionId": "cn-hangzhou", "ContainerGroupId": "eci-1"}
	if a := f.post(t, f.signed("DescribeCommitContainerTask", byGroup, testSecret)); a.body["TotalCount"].(float64) != 0 {
		t.Fatalf("hidden task shown: %v", a.body)
	}
	f.now = f.now.Add(5 * time.Second)
	if a := f.post(t, f.signed("DescribeCommitContainerTask", byGroup, testSecret)); a.body["TotalCount"].(float64) != 1 {
		t.Fatalf("task still hidden: %v", a.body)
	}
}

func TestForgetTaskAndClearFaults(t *testing.T) {
	f := newFixture(t)
	id := f.post(t, f.signed("CommitContainer", commitParams, testSecret)).body["TaskId"].(string)
	f.sim.ForgetTask(id)
	if len(f.sim.Tasks()) != 0 {
		t.Fatal("task not forgotten")
	}
	f.sim.Inject(Fault{Code: "InternalError", Times: 5})
	f.sim.ClearFaults()
	if a := f.post(t, f.signed("CommitContainer", commitParams, testSecret)); a.status != 200 {
		t.Fatalf("fault survived ClearFaults: %v", a.body)
	}
}

func TestChaosInjectsEveryKindAtItsRate(t *testing.T) {
	f := newFixture(t)
	f.sim.SetChaos(Chaos{Actions: []string{"CommitContainer"}, ThrottleRate: 0.2, ServerErrorRate: 0.2, DropRequestRate: 0.1, DropResponseRate: 0.1, Seed: 7})
	const n = 400
	for range n {
		p := f.signed("CommitContainer", commitParams, testSecret)
		if resp, err := http.Post(f.srv.URL+"/?"+p.Encode(), "application/x-www-form-urlencoded", nil); err == nil {
			_ = resp.Body.Close()
		}
	}
	got := f.sim.Injected()
	for kind, rate := range map[string]float64{"Throttling.User": 0.2, "ServiceUnavailable": 0.2, "DropRequest": 0.1, "DropResponse": 0.1} {
		if want := rate * n; float64(got[kind]) < want/2 || float64(got[kind]) > want*1.5 {
			t.Errorf("%s injected %d times, want about %.0f", kind, got[kind], want)
		}
	}
	if tasks := len(f.sim.Tasks()); tasks != n-got["Throttling.User"]-got["ServiceUnavailable"]-got["DropRequest"] {
		t.Errorf("%d tasks for %d calls and faults %v", tasks, n, got)
	}
	// Other actions are left alone, and the zero Chaos turns it off.
	if a := f.post(t, f.signed("DescribeCommitContainerTask", map[string]string{"RegionId": "cn-hangzhou", "ContainerGroupId": "eci-1"}, testSecret)); a.status != 200 {
		t.Fatalf("describe hit by chaos: %v", a.body)
	}
	f.sim.SetChaos(Chaos{})
	for range 20 {
		if a := f.post(t, f.signed("CommitContainer", commitParams, testSecret)); a.status != 200 {
			t.Fatalf("chaos still on: %v", a.body)
		}
	}
}

func TestFlowControlThrottlesAboveTheRate(t *testing.T) {
	sim := New(Options{RateLimit: 0.001, RateBurst: 2})
	sim.AddCredential(Credential{AccessKeyID: testKey, AccessKeySecret: testSecret})
	sim.AddContainerGroup(ContainerGroup{ID: "eci-1", Region: "cn-hangzhou", Status: "Running", Containers: []string{"app"}})
	f := &fixture{sim: sim, srv: httptest.NewServer(sim), now: time.Now().UTC()}
	defer f.srv.Close()
	sim.opts.Clock = func() time.Time { return f.now }
	codes := []string{}
	for range 3 {
		codes = append(codes, f.post(t, f.signed("CommitContainer", commitParams, testSecret)).code())
	}
	if codes[0] != "" || codes[1] != "" || codes[2] != "Throttling.User" {
		t.Fatalf("codes %v: want two accepted within the burst, then Throttling.User", codes)
	}
	if sim.Injected()["RateLimited"] != 1 {
		t.Errorf("injected %v", sim.Injected())
	}
}

func TestAssumeRoleWithOIDC(t *testing.T) {
	f := newFixture(t)
	f.sim.AddOIDCRole(OIDCRole{RoleArn: "acs:ram::1:role/r", OIDCProviderArn: "acs:ram::1:oidc-provider/p", Token: "tok"})
	call := func(kv ...string) answer {
		p := url.Values{"Action": {"AssumeRoleWithOIDC"}, "Version": {"2015-04-01"}, "Format": {"JSON"}}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Set(kv[i], kv[i+1])
		}
		return f.post(t, p)
	}
	full := []string{"RoleArn", "acs:ram::1:role/r", "OIDCProviderArn", "acs:ram::1:oidc-provider/p", "OIDCToken", "tok", "RoleSessionName", "s"}
	if a := call(full[:6]...); a.code() != "MissingParameter" {
		t.Errorf("no session name: %v", a.body)
	}
	if a := call(append(append([]string{}, full[:5]...), "other", "RoleSessionName", "s")...); a.code() != "AuthenticationFail.OIDCToken.Invalid" {
		t.Errorf("wrong token: %v", a.body)
	}
	if a := call("RoleArn", "acs:ram::1:role/none", "OIDCProviderArn", "p", "OIDCToken", "tok", "RoleSessionName", "s"); a.code() != "EntityNotExist.Role" {
		t.Errorf("unknown role: %v", a.body)
	}
	a := call(full...)
	creds, ok := a.body["Credentials"].(map[string]any)
	if !ok || a.status != 200 || len(f.sim.IssuedSTSCredentials()) != 1 {
		t.Fatalf("issue: %v", a.body)
	}
	// The issued credentials sign ECI calls, with their token.
	f.sim.AddCredential(Credential{AccessKeyID: testKey, AccessKeySecret: testSecret})
	p := f.signed("CommitContainer", with(commitParams, "AccessKeyId", creds["AccessKeyId"].(string), "SecurityToken", creds["SecurityToken"].(string)), creds["AccessKeySecret"].(string))
	if a := f.post(t, p); a.status != 200 {
		t.Fatalf("ECI call with STS credentials: %v", a.body)
	}
}
