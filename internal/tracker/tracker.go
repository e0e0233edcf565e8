// Package tracker follows running ECI commit tasks for many owners at once.
//
// Instead of one status call per task per poll, it batches every due task of
// a region into DescribeCommitContainerTask calls of up to 50 IDs, so cloud
// calls grow with tasks/50. Each task is polled fast while young and more
// slowly as it ages. When a task's state changes, only its owner is told.
package tracker

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
)

// Key identifies a task: task IDs are unique within a region.
type Key struct {
	Region string
	TaskID string
}

// Caller is the client to ask about a task with, and the name of its
// identity: tasks are batched per region and identity, since one call is
// signed by one identity.
type Caller struct {
	Identity string
	Client   eci.Client
}

// Observation is the latest thing known about a task.
type Observation struct {
	// Task is the task as last reported; valid when Found.
	Task  eci.Task
	Found bool
	// Missing is set when several calls in a row did not return the task:
	// the cloud does not know it.
	Missing bool
	// Err is the error of the last call about the task, if it failed.
	Err *eci.Error
}

// Options tunes the polling cadence.
type Options struct {
	// MinInterval is the poll interval of a young task. Default 2s.
	MinInterval time.Duration
	// MaxInterval caps the poll interval of an old task. Default 30s.
	MaxInterval time.Duration
	// BatchSize is how many task IDs one call carries, at most
	// eci.MaxDescribeResults (the default). 1 turns sharing off; it exists
	// to measure what sharing saves.
	BatchSize int
	// MissingAfter is how many answers in a row must omit a task before it is
	// reported Missing. Default 3.
	MissingAfter int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Tracker batches task polls. Create it with New and run it with Start.
type Tracker[Owner comparable] struct {
	notify func(Owner)
	opts   Options

	mu     sync.Mutex
	tasks  map[Key]*entry[Owner]
	owners map[Owner]Key
}

type entry[Owner comparable] struct {
	owner   Owner
	via     Caller
	obs     Observation
	seen    bool // an observation or error was recorded
	added   time.Time
	nextDue time.Time
	misses  int
	errors  int
}

// New returns a tracker that calls notify(owner) from its own goroutine
// whenever an owner's task changes. notify must not block for long.
func New[Owner comparable](notify func(Owner), opts Options) *Tracker[Owner] {
	if opts.MinInterval <= 0 {
		opts.MinInterval = 2 * time.Second
	}
	if opts.MaxInterval < opts.MinInterval {
		opts.MaxInterval = max(30*time.Second, opts.MinInterval)
	}
	if opts.BatchSize <= 0 || opts.BatchSize > eci.MaxDescribeResults {
		opts.BatchSize = eci.MaxDescribeResults
	}
	if opts.MissingAfter <= 0 {
		opts.MissingAfter = 3
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Tracker[Owner]{notify: notify, opts: opts, tasks: map[Key]*entry[Owner]{}, owners: map[Owner]Key{}}
}

// Track registers a task for its owner, if it is not yet tracked, and
// returns the latest observation. ok is false until the first answer about
// the task arrives; the owner is notified then. A new task is first polled
// one interval after it was registered: sooner, it has nothing to report.
// via replaces the caller of a tracked task, so rotated credentials take
// effect at the next poll.
func (t *Tracker[Owner]) Track(key Key, owner Owner, via Caller) (obs Observation, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, tracked := t.tasks[key]
	if !tracked {
		now := t.opts.Now()
		t.tasks[key] = &entry[Owner]{owner: owner, via: via, added: now, nextDue: now.Add(t.opts.MinInterval)}
		t.owners[owner] = key
		return Observation{}, false
	}
	e.via = via
	return e.obs, e.seen
}

// Forget stops tracking a task.
func (t *Tracker[Owner]) Forget(key Key) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.tasks[key]; ok {
		delete(t.owners, e.owner)
		delete(t.tasks, key)
	}
}

// ForgetOwner stops tracking the task of an owner that is gone.
func (t *Tracker[Owner]) ForgetOwner(owner Owner) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if key, ok := t.owners[owner]; ok {
		delete(t.owners, owner)
		delete(t.tasks, key)
	}
}

// Len returns the number of tracked tasks.
func (t *Tracker[Owner]) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.tasks)
}

// Start polls until ctx ends. It implements controller-runtime's Runnable.
//
// Polls happen on one shared tick of MinInterval, so that the tasks due
// around the same time, young ones above all, fill the same calls instead
// of each task keeping a clock of its own.
func (t *Tracker[Owner]) Start(ctx context.Context) error {
	tick := time.NewTicker(t.opts.MinInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		t.PollDue(ctx)
	}
}

// NeedLeaderElection makes only the leader poll: its reconcilers are the
// ones that read the results.
func (t *Tracker[Owner]) NeedLeaderElection() bool { return true }

// group is the tasks one call may carry: same region, same identity.
type group struct {
	region, identity string
}

// PollDue polls every task whose turn has come, in batches per region and
// identity.
func (t *Tracker[Owner]) PollDue(ctx context.Context) {
	for g, due := range t.due() {
		for batch := range slices.Chunk(due.ids, t.opts.BatchSize) {
			if ctx.Err() != nil {
				return
			}
			page, err := due.client.DescribeCommitContainerTasks(ctx, eci.DescribeRequest{
				RegionID: g.region, TaskIDs: batch, MaxResults: eci.MaxDescribeResults,
			})
			if err != nil && errors.Is(err, context.Canceled) {
				return
			}
			t.record(g.region, batch, page, err)
		}
	}
}

type dueTasks struct {
	client eci.Client
	ids    []string
}

// due returns the IDs of the tasks to poll now, by group, in a stable
// order. A task due before the middle of the next tick goes now: a tick is
// the resolution of the schedule.
func (t *Tracker[Owner]) due() map[group]*dueTasks {
	t.mu.Lock()
	defer t.mu.Unlock()
	horizon := t.opts.Now().Add(t.opts.MinInterval / 2)
	out := map[group]*dueTasks{}
	for k, e := range t.tasks {
		if !e.nextDue.Before(horizon) {
			continue
		}
		g := group{region: k.Region, identity: e.via.Identity}
		d, ok := out[g]
		if !ok {
			d = &dueTasks{client: e.via.Client}
			out[g] = d
		}
		d.ids = append(d.ids, k.TaskID)
	}
	for _, d := range out {
		slices.Sort(d.ids)
	}
	return out
}

// record stores the answer to one batch and notifies the owners whose
// tasks changed.
func (t *Tracker[Owner]) record(region string, batch []string, page eci.DescribePage, err error) {
	var changed []Owner
	t.mu.Lock()
	now := t.opts.Now()
	byID := make(map[string]eci.Task, len(page.Tasks))
	for _, task := range page.Tasks {
		byID[task.TaskID] = task
	}
	for _, id := range batch {
		e, ok := t.tasks[Key{Region: region, TaskID: id}]
		if !ok {
			continue // forgotten while the call was under way
		}
		next := e.obs
		if err != nil {
			next.Err = eci.AsError(err)
			e.errors++
		} else {
			next.Err = nil
			e.errors = 0
			if task, found := byID[id]; found {
				next.Task, next.Found, next.Missing = task, true, false
				e.misses = 0
			} else {
				e.misses++
				next.Missing = e.misses >= t.opts.MissingAfter
			}
		}
		e.nextDue = now.Add(t.interval(e, now))
		if !e.seen || !sameObservation(e.obs, next) {
			e.obs, e.seen = next, true
			changed = append(changed, e.owner)
		}
	}
	t.mu.Unlock()
	for _, o := range changed {
		t.notify(o)
	}
}

// interval is the wait before the next poll of a task: short while the task
// is young, growing with its age, and backing off on errors.
func (t *Tracker[Owner]) interval(e *entry[Owner], now time.Time) time.Duration {
	d := max(now.Sub(e.added)/4, t.opts.MinInterval)
	if e.errors > 0 {
		d = t.opts.MinInterval << min(e.errors, 5)
	}
	return min(d, t.opts.MaxInterval)
}

func sameObservation(a, b Observation) bool {
	if (a.Err == nil) != (b.Err == nil) || (a.Err != nil && (a.Err.Code != b.Err.Code || a.Err.Kind != b.Err.Kind)) {
		return false
	}
	a.Err, b.Err = nil, nil
	return reflect.DeepEqual(a, b)
}
