package tracker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
)

// fakeCloud answers DescribeCommitContainerTasks from a table; the tracker
// is a pure batching function of its answers, so a fake suffices here. The
// controller tests drive the tracker over the real SDK and simulator.
type fakeCloud struct {
	mu    sync.Mutex
	tasks map[string]eci.Task
	err   error
	calls []eci.DescribeRequest
}

func (f *fakeCloud) CommitContainer(context.Context, eci.CommitRequest) (eci.CommitResult, error) {
	panic("not used")
}

func (f *fakeCloud) DescribeCommitContainerTasks(_ context.Context, r eci.DescribeRequest) (eci.DescribePage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r)
	if f.err != nil {
		return eci.DescribePage{}, f.err
	}
	var page eci.DescribePage
	for _, id := range r.TaskIDs {
		if t, ok := f.tasks[id]; ok {
			page.Tasks = append(page.Tasks, t)
		}
	}
	return page, nil
}

type harness struct {
	cloud    *fakeCloud
	tr       *Tracker[string]
	now      time.Time
	notified map[string]int
}

func newHarness() *harness {
	h := &harness{cloud: &fakeCloud{tasks: map[string]eci.Task{}}, now: time.Unix(1_700_000_000, 0), notified: map[string]int{}}
	h.tr = New(func(o string) { h.notified[o]++ }, Options{
		MinInterval: 2 * time.Second, MaxInterval: 30 * time.Second, Now: func() time.Time { return h.now },
	})
	return h
}

func (h *harness) via() Caller { return Caller{Identity: "default", Client: h.cloud} }

// add tracks n new tasks and lets the first interval pass.
func (h *harness) add(region string, n int) {
	for i := range n {
		id := fmt.Sprintf("t-%s-%03d", region, i)
		h.cloud.tasks[id] = eci.Task{TaskID: id, Status: eci.TaskRunning, Progress: "0%"}
		h.tr.Track(Key{Region: region, TaskID: id}, id, h.via())
	}
	h.now = h.now.Add(h.tr.opts.MinInterval)
}

func TestPollsAreBatchedPerRegionInFifties(t *testing.T) {
	h := newHarness()
	h.add("cn-hangzhou", 120)
	h.add("cn-beijing", 3)
	h.tr.PollDue(context.Background())

	if len(h.cloud.calls) != 4 {
		t.Fatalf("%d Describe calls for 123 tasks in 2 regions, want 4", len(h.cloud.calls))
	}
	perRegion := map[string]int{}
	for _, c := range h.cloud.calls {
		if len(c.TaskIDs) > eci.MaxDescribeResults || c.MaxResults != eci.MaxDescribeResults {
			t.Errorf("call with %d IDs and MaxResults %d", len(c.TaskIDs), c.MaxResults)
		}
		perRegion[c.RegionID] += len(c.TaskIDs)
	}
	if perRegion["cn-hangzhou"] != 120 || perRegion["cn-beijing"] != 3 {
		t.Errorf("IDs per region: %v", perRegion)
	}
	if len(h.notified) != 123 {
		t.Errorf("%d owners notified of their first observation, want 123", len(h.notified))
	}
	obs, ok := h.tr.Track(Key{Region: "cn-beijing", TaskID: "t-cn-beijing-000"}, "t-cn-beijing-000", h.via())
	if !ok || !obs.Found || obs.Task.Progress != "0%" {
		t.Errorf("observation: %+v %v", obs, ok)
	}
}

func TestOnlyChangedTasksWakeTheirOwners(t *testing.T) {
	h := newHarness()
	h.add("r", 3)
	h.tr.PollDue(context.Background())
	clear(h.notified)

	h.cloud.tasks["t-r-001"] = eci.Task{TaskID: "t-r-001", Status: eci.TaskRunning, Progress: "33%"}
	h.now = h.now.Add(2 * time.Second)
	h.tr.PollDue(context.Background())
	if len(h.notified) != 1 || h.notified["t-r-001"] != 1 {
		t.Fatalf("notified %v, want only t-r-001", h.notified)
	}
}

func TestNothingIsPolledBeforeItIsDue(t *testing.T) {
	h := newHarness()
	h.tr.Track(Key{Region: "r", TaskID: "new"}, "new", h.via())
	h.tr.PollDue(context.Background())
	if len(h.cloud.calls) != 0 {
		t.Fatal("a task was polled at once: it has nothing to report yet")
	}
	h.tr.Forget(Key{Region: "r", TaskID: "new"})
	h.add("r", 2)
	h.tr.PollDue(context.Background())
	h.now = h.now.Add(time.Second - time.Millisecond)
	h.tr.PollDue(context.Background())
	if len(h.cloud.calls) != 1 {
		t.Fatalf("%d calls, want 1: the second poll came before the interval", len(h.cloud.calls))
	}
	// Within half a tick of being due is due: a late tick must not skip it.
	h.now = h.now.Add(2 * time.Millisecond)
	h.tr.PollDue(context.Background())
	if len(h.cloud.calls) != 2 {
		t.Fatalf("%d calls, want 2", len(h.cloud.calls))
	}
}

func TestIntervalGrowsWithAgeUpToTheCap(t *testing.T) {
	h := newHarness()
	e := &entry[string]{added: h.now}
	for _, c := range []struct {
		age, want time.Duration
	}{{0, 2 * time.Second}, {20 * time.Second, 5 * time.Second}, {time.Hour, 30 * time.Second}} {
		if got := h.tr.interval(e, h.now.Add(c.age)); got != c.want {
			t.Errorf("age %s: interval %s, want %s", c.age, got, c.want)
		}
	}
	e.errors = 3
	if got := h.tr.interval(e, h.now); got != 16*time.Second {
		t.Errorf("after 3 errors: interval %s, want 16s", got)
	}
}

func TestMissingAfterConsecutiveMisses(t *testing.T) {
	h := newHarness()
	h.add("r", 1)
	delete(h.cloud.tasks, "t-r-000")
	key := Key{Region: "r", TaskID: "t-r-000"}
	for i := 1; i <= 3; i++ {
		h.tr.PollDue(context.Background())
		obs, _ := h.tr.Track(key, "t-r-000", h.via())
		if obs.Missing != (i == 3) {
			t.Fatalf("after %d misses: Missing = %v", i, obs.Missing)
		}
		h.now = h.now.Add(time.Minute)
	}
}

func TestErrorsAreReportedAndClearedOnSuccess(t *testing.T) {
	h := newHarness()
	h.add("r", 1)
	key := Key{Region: "r", TaskID: "t-r-000"}
	h.cloud.err = &eci.Error{Code: "Throttling.User", Kind: eci.KindThrottled}
	h.tr.PollDue(context.Background())
	obs, ok := h.tr.Track(key, "t-r-000", h.via())
	if !ok || obs.Err == nil || obs.Err.Code != "Throttling.User" || obs.Found {
		t.Fatalf("after an error: %+v", obs)
	}
	h.cloud.err = nil
	h.now = h.now.Add(time.Minute)
	h.tr.PollDue(context.Background())
	if obs, _ := h.tr.Track(key, "t-r-000", h.via()); obs.Err != nil || !obs.Found {
		t.Fatalf("after recovery: %+v", obs)
	}
}

func TestForgottenTasksAreNotPolled(t *testing.T) {
	h := newHarness()
	h.add("r", 2)
	h.tr.Forget(Key{Region: "r", TaskID: "t-r-000"})
	h.tr.PollDue(context.Background())
	if len(h.cloud.calls) != 1 || len(h.cloud.calls[0].TaskIDs) != 1 || h.tr.Len() != 1 {
		t.Fatalf("calls %+v, tracked %d", h.cloud.calls, h.tr.Len())
	}
	// An answer for a task forgotten while the call was under way is dropped.
	h.tr.record("r", []string{"t-r-000"}, eci.DescribePage{}, nil)
	if h.tr.Len() != 1 {
		t.Fatal("a forgotten task came back")
	}
}

func TestStartPollsUntilCancelled(t *testing.T) {
	cloud := &fakeCloud{tasks: map[string]eci.Task{"t-1": {TaskID: "t-1", Status: eci.TaskRunning}}}
	woke := make(chan string, 1)
	tr := New(func(o string) { woke <- o }, Options{MinInterval: 40 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Start(ctx) }()
	tr.Track(Key{Region: "r", TaskID: "t-1"}, "owner", Caller{Identity: "default", Client: cloud})
	select {
	case o := <-woke:
		if o != "owner" {
			t.Fatalf("woke %q", o)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first poll did not happen")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !tr.NeedLeaderElection() {
		t.Error("the tracker must run on the leader only")
	}
}

func TestBatchSizeOneTurnsSharingOff(t *testing.T) {
	h := newHarness()
	h.tr.opts.BatchSize = 1
	h.add("r", 3)
	h.tr.PollDue(context.Background())
	if len(h.cloud.calls) != 3 {
		t.Fatalf("%d calls for 3 tasks without sharing, want 3", len(h.cloud.calls))
	}
}

func TestForgetOwnerDropsTheTaskOfADeletedObject(t *testing.T) {
	h := newHarness()
	h.add("r", 2)
	h.tr.ForgetOwner("t-r-000")
	h.tr.ForgetOwner("nobody")
	if h.tr.Len() != 1 {
		t.Fatalf("%d tasks tracked, want 1", h.tr.Len())
	}
	h.tr.Forget(Key{Region: "r", TaskID: "t-r-001"})
	if h.tr.Len() != 0 || len(h.tr.owners) != 0 {
		t.Fatalf("tasks %d owners %d after forgetting all", h.tr.Len(), len(h.tr.owners))
	}
}

func TestTasksOfDifferentIdentitiesAreNotBatchedTogether(t *testing.T) {
	h := newHarness()
	other := &fakeCloud{tasks: map[string]eci.Task{"t-b": {TaskID: "t-b", Status: eci.TaskRunning}}}
	h.cloud.tasks["t-a"] = eci.Task{TaskID: "t-a", Status: eci.TaskRunning}
	h.tr.Track(Key{Region: "r", TaskID: "t-a"}, "a", h.via())
	h.tr.Track(Key{Region: "r", TaskID: "t-b"}, "b", Caller{Identity: "team-b", Client: other})
	h.now = h.now.Add(2 * time.Second)
	h.tr.PollDue(context.Background())
	if len(h.cloud.calls) != 1 || len(other.calls) != 1 || h.cloud.calls[0].TaskIDs[0] != "t-a" || other.calls[0].TaskIDs[0] != "t-b" {
		t.Fatalf("calls: default %+v, team-b %+v", h.cloud.calls, other.calls)
	}
	// A rotated credential replaces the caller of a tracked task.
	h.tr.Track(Key{Region: "r", TaskID: "t-b"}, "b", h.via())
	h.cloud.tasks["t-b"] = eci.Task{TaskID: "t-b", Status: eci.TaskRunning}
	h.now = h.now.Add(2 * time.Second)
	h.tr.PollDue(context.Background())
	if len(other.calls) != 1 || len(h.cloud.calls) != 2 || len(h.cloud.calls[1].TaskIDs) != 2 {
		t.Fatalf("after rotation: default %+v, team-b %+v", h.cloud.calls, other.calls)
	}
}
