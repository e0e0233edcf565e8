package controllers_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
)

// These tests walk every branch of adoption against the real API server and
// the simulator: found at once, not found yet, not found after the grace
// period, and a recorded task that the cloud no longer knows.

func TestAdoptionWaitsForATaskTheCloudShowsLate(t *testing.T) {
	tg := newTarget(t)
	sim.Inject(ecisim.Fault{Action: "CommitContainer", DropResponse: true, HideFor: time.Second})
	before := sim.Calls("CommitContainer")
	obj := tg.commit("shown-late")
	create(t, obj)
	got := waitForPhase(t, obj, eciv1.PhaseSucceeded, 30*time.Second)
	settle()

	tasks := tasksOf(tg.group)
	if len(tasks) != 1 || got.Status.TaskID != tasks[0].ID {
		t.Fatalf("%d tasks, status task %q: want the one task adopted", len(tasks), got.Status.TaskID)
	}
	if calls := sim.Calls("CommitContainer") - before; calls != 1 {
		t.Errorf("CommitContainer called %d times, want 1", calls)
	}
	if c := condition(got, eciv1.ConditionSubmitted); c == nil || c.Reason != eciv1.ReasonTaskAdopted {
		t.Errorf("Submitted: %+v", c)
	}
}

func TestLostRequestIsSubmittedAgainAfterTheGracePeriod(t *testing.T) {
	tg := newTarget(t)
	sim.Inject(ecisim.Fault{Action: "CommitContainer", DropRequest: true})
	before := sim.Calls("CommitContainer")
	obj := tg.commit("lost-request")
	create(t, obj)
	got := waitForPhase(t, obj, eciv1.PhaseSucceeded, 30*time.Second)
	settle()

	if calls := sim.Calls("CommitContainer") - before; calls != 2 {
		t.Errorf("CommitContainer called %d times, want the lost call and one more", calls)
	}
	tasks := tasksOf(tg.group)
	if len(tasks) != 1 || got.Status.TaskID != tasks[0].ID {
		t.Fatalf("tasks %d, status task %q", len(tasks), got.Status.TaskID)
	}
	if c := condition(got, eciv1.ConditionSubmitted); c == nil || c.Reason != eciv1.ReasonTaskCreated {
		t.Errorf("Submitted: %+v", c)
	}
}

func TestTaskUnknownToTheCloudFailsClearly(t *testing.T) {
	tg := newTarget(t, func(g *ecisim.ContainerGroup) { g.PhaseDuration = time.Hour })
	obj := tg.commit("forgotten")
	create(t, obj)
	running := waitForPhase(t, obj, eciv1.PhaseRunning, 10*time.Second)
	for running.Status.TaskID == "" {
		time.Sleep(20 * time.Millisecond)
		_ = k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), running)
	}
	sim.ForgetTask(running.Status.TaskID)
	got := waitForPhase(t, obj, eciv1.PhaseFailed, 20*time.Second)
	ready := condition(got, eciv1.ConditionReady)
	if ready == nil || ready.Reason != eciv1.ReasonTaskNotFound {
		t.Fatalf("Ready: %+v", ready)
	}
	mustContain(t, "Ready message", ready.Message, running.Status.TaskID)
	if got.Status.TaskID != running.Status.TaskID {
		t.Errorf("task ID changed from %s to %s", running.Status.TaskID, got.Status.TaskID)
	}
}

func TestSubmissionsToOneContainerAreSerialized(t *testing.T) {
	tg := newTarget(t)
	// The first call's request is lost, so its intent stays open for the
	// adoption grace; the second object must wait for it.
	sim.Inject(ecisim.Fault{Action: "CommitContainer", DropRequest: true})
	first := tg.commit("first")
	first.Spec.Image.Tag = "first"
	create(t, first)
	waitFor(t, first, "an open intent", func(o *eciv1.ContainerCommit) bool { return o.Status.SubmissionTime != nil && o.Status.TaskID == "" })
	second := tg.commit("second")
	second.Spec.Image.Tag = "second"
	create(t, second)
	waitFor(t, second, "TargetBusy", func(o *eciv1.ContainerCommit) bool {
		c := condition(o, eciv1.ConditionReady)
		return c != nil && c.Reason == eciv1.ReasonTargetBusy
	})

	a := waitForPhase(t, first, eciv1.PhaseSucceeded, 30*time.Second)
	b := waitForPhase(t, second, eciv1.PhaseSucceeded, 30*time.Second)
	byID := map[string]ecisim.Task{}
	for _, task := range tasksOf(tg.group) {
		byID[task.ID] = task
	}
	if len(byID) != 2 || byID[a.Status.TaskID].Tag != "first" || byID[b.Status.TaskID].Tag != "second" {
		t.Fatalf("tasks %+v; first holds %s, second %s", byID, a.Status.TaskID, b.Status.TaskID)
	}
}

func TestRetryAnnotationStartsANewAttempt(t *testing.T) {
	tg := newTarget(t, func(g *ecisim.ContainerGroup) {
		g.FailAtPhase = "CommitContainer"
		g.FailMessage = "no space left on device"
	})
	obj := tg.commit("retry")
	create(t, obj)
	failed := waitForPhase(t, obj, eciv1.PhaseFailed, 20*time.Second)
	firstTask := failed.Status.TaskID

	// The cause is fixed; ask for a new attempt.
	sim.AddContainerGroup(ecisim.ContainerGroup{ID: tg.group, Region: region, Status: "Running", Containers: []string{"app"}})
	annotate(t, obj, "2026-12-04T10:00:00Z")
	waitFor(t, obj, "attempt 1", func(o *eciv1.ContainerCommit) bool { return o.Status.Attempt == 1 })
	got := waitForPhase(t, obj, eciv1.PhaseSucceeded, 20*time.Second)

	if got.Status.TaskID == firstTask || got.Status.LastHandledRequestedAt != "2026-12-04T10:00:00Z" {
		t.Errorf("status after retry: %+v", got.Status)
	}
	if len(got.Status.History) != 1 {
		t.Fatalf("history: %+v", got.Status.History)
	}
	h := got.Status.History[0]
	if h.Attempt != 0 || h.Phase != eciv1.PhaseFailed || h.TaskID != firstTask || h.Reason != eciv1.ReasonTaskFailed {
		t.Errorf("history record: %+v", h)
	}
	mustContain(t, "history message", h.Message, "no space left on device")
	if n := len(tasksOf(tg.group)); n != 2 {
		t.Errorf("%d tasks, want one per attempt", n)
	}

	// A succeeded commit is final: a new request is acknowledged, not run.
	annotate(t, obj, "2026-12-04T11:00:00Z")
	waitFor(t, obj, "request acknowledged", func(o *eciv1.ContainerCommit) bool {
		return o.Status.LastHandledRequestedAt == "2026-12-04T11:00:00Z"
	})
	settle()
	final := waitForPhase(t, obj, eciv1.PhaseSucceeded, time.Second)
	if final.Status.Attempt != 1 || final.Status.TaskID != got.Status.TaskID || len(tasksOf(tg.group)) != 2 {
		t.Errorf("a succeeded commit was re-run: %+v", final.Status)
	}
	if reasons := eventReasons(t, final); !slices.Contains(reasons, "RetryRequested") || !slices.Contains(reasons, "RetryIgnored") {
		t.Errorf("events %v", reasons)
	}
}

func TestSubmissionDeadlineEndsRetries(t *testing.T) {
	tg := newTarget(t)
	sim.Inject(ecisim.Fault{Action: "CommitContainer", Code: "Throttling.User", HTTPStatus: 400, Times: 1000})
	defer sim.ClearFaults()
	obj := tg.commit("deadline")
	deadline := int64(2)
	obj.Spec.SubmissionDeadlineSeconds = &deadline
	create(t, obj)
	got := waitForPhase(t, obj, eciv1.PhaseFailed, 15*time.Second)
	ready := condition(got, eciv1.ConditionReady)
	if ready == nil || ready.Reason != eciv1.ReasonSubmissionDeadlineExceeded {
		t.Fatalf("Ready: %+v", ready)
	}
	mustContain(t, "Ready message", ready.Message, "Throttling.User")
	if len(tasksOf(tg.group)) != 0 || condition(got, eciv1.ConditionStalled) == nil {
		t.Errorf("status: %+v", got.Status)
	}
	if elapsed := got.Status.CompletionTime.Sub(got.CreationTimestamp.Time); elapsed > 6*time.Second {
		t.Errorf("failed %s after creation, want about the 2s deadline", elapsed)
	}
}

func annotate(t *testing.T, obj *eciv1.ContainerCommit, requestedAt string) {
	t.Helper()
	patch := []byte(`{"metadata":{"annotations":{"` + eciv1.RetryRequestedAnnotation + `":"` + requestedAt + `"}}}`)
	if err := k8s.Patch(context.Background(), obj.DeepCopy(), client.RawPatch("application/merge-patch+json", patch)); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls the object until cond holds.
func waitFor(t *testing.T, obj *eciv1.ContainerCommit, what string, cond func(*eciv1.ContainerCommit) bool) {
	t.Helper()
	got := &eciv1.ContainerCommit{}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), got); err != nil {
			t.Fatal(err)
		}
		if cond(got) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s after 20s; status %+v", obj.Name, what, got.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeletedRunningCommitIsNoLongerTracked(t *testing.T) {
	tg := newTarget(t, func(g *ecisim.ContainerGroup) { g.PhaseDuration = time.Hour })
	obj := tg.commit("deleted-while-running")
	create(t, obj)
	waitFor(t, obj, "a task", func(o *eciv1.ContainerCommit) bool { return o.Status.TaskID != "" })
	deadline := time.Now().Add(10 * time.Second)
	for reconciler.TrackedTasks() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	tracked := reconciler.TrackedTasks()
	if err := k8s.Delete(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	for reconciler.TrackedTasks() >= tracked {
		if time.Now().After(deadline) {
			t.Fatalf("still %d tracked tasks after the deletion", reconciler.TrackedTasks())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
