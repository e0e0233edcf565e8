package controllers_test

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
	"github.com/eci-commit-operator/eci-commit-operator/internal/metrics"
)

func TestCommitSucceedsWithExactlyOneCommitCall(t *testing.T) {
	tg := newTarget(t)
	started := testutil.ToFloat64(metrics.CommitsStarted)
	succeeded := testutil.ToFloat64(metrics.CommitsFinished.WithLabelValues("succeeded", eciv1.ReasonSucceeded))
	obj := tg.commit("save")
	create(t, obj)
	got := waitForPhase(t, obj, eciv1.PhaseSucceeded, 20*time.Second)
	settle()

	if d := testutil.ToFloat64(metrics.CommitsStarted) - started; d != 1 {
		t.Errorf("commits_started_total grew by %v, want 1", d)
	}
	if d := testutil.ToFloat64(metrics.CommitsFinished.WithLabelValues("succeeded", eciv1.ReasonSucceeded)) - succeeded; d != 1 {
		t.Errorf("commits_finished_total{succeeded} grew by %v, want 1", d)
	}

	tasks := tasksOf(tg.group)
	if len(tasks) != 1 {
		t.Fatalf("simulator saw %d tasks, want exactly 1", len(tasks))
	}
	s := got.Status
	if s.TaskID != tasks[0].ID || s.RequestID == "" {
		t.Errorf("taskId %q requestId %q, want task %s and a request ID", s.TaskID, s.RequestID, tasks[0].ID)
	}
	if p := tasks[0].Params; p.Get("Image.Tag") != "v1" || p.Get("Image.Message") != "saved by a test" || p.Get("ContainerName") != "app" {
		t.Errorf("CommitContainer parameters: %v", p)
	}
	if s.Image != "registry-vpc.cn-hangzhou.aliyuncs.com/team/app:v1" || s.Progress != "100%" || s.RegionID != region || s.ContainerGroupID != tg.group {
		t.Errorf("status: %+v", s)
	}
	if len(s.CommitPhases) != 3 || s.CommitPhases[0].Phase != "PullBaseImage" || s.CommitPhases[2].Status != "Success" || s.CommitPhases[2].RecordTime == nil {
		t.Errorf("commit phases: %+v", s.CommitPhases)
	}
	if s.StartTime == nil || s.CompletionTime == nil || s.SubmissionTime == nil || s.ObservedGeneration != got.Generation {
		t.Errorf("times or observedGeneration missing: %+v", s)
	}
	if c := condition(got, eciv1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue || c.Reason != eciv1.ReasonSucceeded {
		t.Errorf("Ready: %+v", c)
	}
	if c := condition(got, eciv1.ConditionSubmitted); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Submitted: %+v", c)
	}
	if condition(got, eciv1.ConditionReconciling) != nil || condition(got, eciv1.ConditionStalled) != nil {
		t.Errorf("Reconciling/Stalled left on a succeeded object: %+v", s.Conditions)
	}
	if reasons := eventReasons(t, got); !slices.Contains(reasons, "Submitted") || !slices.Contains(reasons, "Succeeded") {
		t.Errorf("events: %v, want Submitted and Succeeded", reasons)
	}
}

func TestTaskFailureEndsFailedWithTheCloudsMessage(t *testing.T) {
	tg := newTarget(t, func(g *ecisim.ContainerGroup) {
		g.FailAtPhase = "PushCommittedImage"
		g.FailMessage = "push to registry-vpc.cn-hangzhou.aliyuncs.com/team/app denied: repository not found"
	})
	obj := tg.commit("push-fails")
	create(t, obj)
	got := waitForPhase(t, obj, eciv1.PhaseFailed, 20*time.Second)

	ready := condition(got, eciv1.ConditionReady)
	stalled := condition(got, eciv1.ConditionStalled)
	if ready == nil || ready.Reason != eciv1.ReasonTaskFailed || stalled == nil || stalled.Status != metav1.ConditionTrue {
		t.Fatalf("conditions: %+v", got.Status.Conditions)
	}
	mustContain(t, "Ready message", ready.Message, "repository not found")
	if n := len(got.Status.CommitPhases); n != 3 || got.Status.CommitPhases[2].Status != "Failed" {
		t.Errorf("commit phases: %+v", got.Status.CommitPhases)
	}
	if len(tasksOf(tg.group)) != 1 {
		t.Errorf("a failed task was retried: %d tasks", len(tasksOf(tg.group)))
	}
	if reasons := eventReasons(t, got); !slices.Contains(reasons, "Failed") {
		t.Errorf("events: %v, want Failed", reasons)
	}
}

func TestRejectedCommitsFailOnceWithCodeAndRequestID(t *testing.T) {
	cases := []struct {
		name      string
		group     func(*ecisim.ContainerGroup)
		container string
		code      string
	}{
		{name: "unknown container", container: "ghost", code: "InvalidParameter"},
		{name: "instance not running", group: func(g *ecisim.ContainerGroup) { g.Status = "Stopped" }, code: "IncorrectStatusDetail"},
		{name: "unsupported volume", group: func(g *ecisim.ContainerGroup) { g.UnsupportedVolume = true }, code: "InvalidVolumeType"},
		{name: "unsupported action", group: func(g *ecisim.ContainerGroup) { g.CommitUnsupported = true }, code: "InvalidAction"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mutate []func(*ecisim.ContainerGroup)
			if tc.group != nil {
				mutate = append(mutate, tc.group)
			}
			tg := newTarget(t, mutate...)
			obj := tg.commit("rejected")
			if tc.container != "" {
				obj.Spec.ContainerName = tc.container
			}
			before := sim.Calls("CommitContainer")
			create(t, obj)
			got := waitForPhase(t, obj, eciv1.PhaseFailed, 10*time.Second)
			settle()

			if calls := sim.Calls("CommitContainer") - before; calls != 1 {
				t.Errorf("CommitContainer called %d times, want exactly 1", calls)
			}
			e := got.Status.LastError
			if e == nil || e.Code != tc.code || e.RequestID == "" || e.Message == "" {
				t.Fatalf("lastError: %+v, want code %s with message and request ID", e, tc.code)
			}
			ready := condition(got, eciv1.ConditionReady)
			if ready == nil || ready.Reason != eciv1.ReasonCommitRejected {
				t.Fatalf("Ready: %+v", ready)
			}
			mustContain(t, "Ready message", ready.Message, tc.code, e.RequestID)
			if condition(got, eciv1.ConditionStalled) == nil || got.Status.TaskID != "" {
				t.Errorf("want Stalled and no task: %+v", got.Status)
			}
		})
	}
}

func TestThrottlingAndServerErrorsAreRetriedUntilSuccess(t *testing.T) {
	tg := newTarget(t)
	sim.Inject(ecisim.Fault{Action: "CommitContainer", Code: "Throttling.User", HTTPStatus: 400, Message: "Request was denied due to user flow control.", Times: 2})
	sim.Inject(ecisim.Fault{Action: "CommitContainer", Code: "ServiceUnavailable", HTTPStatus: 503, Times: 1})
	sim.Inject(ecisim.Fault{Action: "CommitContainer", Code: "InternalError", HTTPStatus: 500, Times: 1})
	before := sim.Calls("CommitContainer")
	obj := tg.commit("retried")
	create(t, obj)
	got := waitForPhase(t, obj, eciv1.PhaseSucceeded, 30*time.Second)
	settle()

	if calls := sim.Calls("CommitContainer") - before; calls != 5 {
		t.Errorf("CommitContainer called %d times, want 4 refused + 1 accepted", calls)
	}
	if n := len(tasksOf(tg.group)); n != 1 {
		t.Errorf("simulator saw %d tasks, want 1", n)
	}
	if got.Status.LastError != nil {
		t.Errorf("lastError kept after success: %+v", got.Status.LastError)
	}
	reasons := eventReasons(t, got)
	for _, want := range []string{"Throttled", "CloudUnavailable", "Submitted", "Succeeded"} {
		if !slices.Contains(reasons, want) {
			t.Errorf("events %v lack %s", reasons, want)
		}
	}
}

func TestTrackingErrorsAreRetriedWithoutFailingTheCommit(t *testing.T) {
	tg := newTarget(t)
	sim.Inject(ecisim.Fault{Action: "DescribeCommitContainerTask", Code: "ServiceUnavailable", HTTPStatus: 503, Times: 3})
	obj := tg.commit("describe-flaky")
	create(t, obj)
	waitForPhase(t, obj, eciv1.PhaseSucceeded, 30*time.Second)
	if n := len(tasksOf(tg.group)); n != 1 {
		t.Errorf("simulator saw %d tasks, want 1", n)
	}
}

func TestSignatureFailureIsAClearConditionWithoutRetries(t *testing.T) {
	tg := newTarget(t)
	sim.AddCredential(ecisim.Credential{AccessKeyID: keyID, AccessKeySecret: "rotated-elsewhere"})
	defer sim.AddCredential(ecisim.Credential{AccessKeyID: keyID, AccessKeySecret: keySecret})
	before := sim.Calls("CommitContainer")
	obj := tg.commit("bad-signature")
	create(t, obj)
	got := waitForPhase(t, obj, eciv1.PhaseFailed, 10*time.Second)
	settle()

	if calls := sim.Calls("CommitContainer") - before; calls != 1 {
		t.Errorf("CommitContainer called %d times, want 1", calls)
	}
	ready := condition(got, eciv1.ConditionReady)
	if ready == nil || ready.Reason != eciv1.ReasonAuthenticationFailed {
		t.Fatalf("Ready: %+v", ready)
	}
	mustContain(t, "Ready message", ready.Message, "SignatureDoesNotMatch", "request ID")
	if got.Status.LastError == nil || got.Status.LastError.RequestID == "" {
		t.Errorf("lastError: %+v", got.Status.LastError)
	}
}

func TestMissingRegionFailsWithoutCallingTheCloud(t *testing.T) {
	tg := newTarget(t)
	obj := tg.commit("no-region")
	obj.Spec.RegionID = ""
	before := sim.Calls("CommitContainer")
	create(t, obj)
	got := waitForPhase(t, obj, eciv1.PhaseFailed, 10*time.Second)
	if ready := condition(got, eciv1.ConditionReady); ready == nil || ready.Reason != eciv1.ReasonRegionUnknown {
		t.Fatalf("Ready: %+v", ready)
	}
	if calls := sim.Calls("CommitContainer") - before; calls != 0 {
		t.Errorf("CommitContainer called %d times, want 0", calls)
	}
}

func TestLostCommitAnswerIsAdoptedNotRepeated(t *testing.T) {
	tg := newTarget(t)
	dropped := sim.DroppedResponses()
	sim.Inject(ecisim.Fault{Action: "CommitContainer", DropResponse: true})
	before := sim.Calls("CommitContainer")
	obj := tg.commit("lost-answer")
	create(t, obj)
	got := waitForPhase(t, obj, eciv1.PhaseSucceeded, 30*time.Second)
	settle()

	if sim.DroppedResponses() != dropped+1 {
		t.Fatal("the simulator did not drop the answer")
	}
	tasks := tasksOf(tg.group)
	if len(tasks) != 1 || got.Status.TaskID != tasks[0].ID {
		t.Fatalf("tasks %+v, status task %q: want the one task adopted", tasks, got.Status.TaskID)
	}
	if calls := sim.Calls("CommitContainer") - before; calls != 1 {
		t.Errorf("CommitContainer called %d times, want 1", calls)
	}
	if c := condition(got, eciv1.ConditionSubmitted); c == nil || c.Reason != "TaskAdopted" {
		t.Errorf("Submitted: %+v", c)
	}
}

func TestManyCommitsShareTaskTracking(t *testing.T) {
	tg := newTarget(t)
	const n = 12
	var objs []*eciv1.ContainerCommit
	for i := range n {
		obj := tg.commit("many-" + string(rune('a'+i)))
		create(t, obj)
		objs = append(objs, obj)
	}
	for _, obj := range objs {
		waitForPhase(t, obj, eciv1.PhaseSucceeded, 30*time.Second)
	}
	if got := len(tasksOf(tg.group)); got != n {
		t.Fatalf("simulator saw %d tasks, want %d", got, n)
	}
}
