package controllers

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
)

// These unit tests pin down which cloud task adoption picks: a pure choice
// over the cloud's answer and the claims of other objects, so a fake cloud
// and a fake API client suffice. The envtest suite drives every branch of
// adoption end to end over the real SDK and simulator.

type listingCloud struct {
	eci.Client
	tasks []eci.Task
	pages int
}

func (c *listingCloud) DescribeCommitContainerTasks(_ context.Context, r eci.DescribeRequest) (eci.DescribePage, error) {
	c.pages++
	// Two tasks per page, to exercise paging.
	start := 0
	if r.NextToken != "" {
		start = int(r.NextToken[0] - '0')
	}
	end := min(start+2, len(c.tasks))
	page := eci.DescribePage{Tasks: c.tasks[start:end]}
	if end < len(c.tasks) {
		page.NextToken = string(rune('0' + end))
	}
	return page, nil
}

func adoptionFixture(t *testing.T, tasks []eci.Task, holders ...*eciv1.ContainerCommit) (*ContainerCommitReconciler, *eciv1.ContainerCommit, *listingCloud) {
	t.Helper()
	scheme := runtime.NewScheme()
	_ = eciv1.AddToScheme(scheme)
	objs := make([]client.Object, 0, len(holders))
	for _, h := range holders {
		objs = append(objs, h)
	}
	reader := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).
		WithIndex(&eciv1.ContainerCommit{}, "status.taskId", func(o client.Object) []string {
			return []string{o.(*eciv1.ContainerCommit).Status.TaskID}
		}).Build()
	cloud := &listingCloud{tasks: tasks}
	r := &ContainerCommitReconciler{APIReader: reader, ClockSkew: 30 * time.Second}
	intent := metav1.NewTime(base)
	obj := &eciv1.ContainerCommit{
		ObjectMeta: metav1.ObjectMeta{Name: "me", Namespace: "ns", UID: "me"},
		Spec:       eciv1.ContainerCommitSpec{ContainerName: "app"},
		Status:     eciv1.ContainerCommitStatus{RegionID: "r", ContainerGroupID: "eci-1", SubmissionTime: &intent},
	}
	return r, obj, cloud
}

var base = time.Date(2026, 12, 4, 10, 0, 0, 500_000_000, time.UTC)

func task(id, container string, offset time.Duration) eci.Task {
	// The cloud reports whole seconds.
	return eci.Task{TaskID: id, ContainerName: container, CreationTime: base.Add(offset).Truncate(time.Second)}
}

func holder(taskID string) *eciv1.ContainerCommit {
	return &eciv1.ContainerCommit{
		ObjectMeta: metav1.ObjectMeta{Name: "holder-" + taskID, Namespace: "other", UID: types.UID("holder-" + taskID)},
		Status:     eciv1.ContainerCommitStatus{TaskID: taskID},
	}
}

func TestAdoptionPicksTheTaskOfTheIntent(t *testing.T) {
	cases := []struct {
		name    string
		tasks   []eci.Task
		history []string
		holders []*eciv1.ContainerCommit
		want    string
	}{
		{name: "created after the intent", tasks: []eci.Task{task("t-after", "app", 2*time.Second)}, want: "t-after"},
		{name: "same second as the intent", tasks: []eci.Task{task("t-same", "app", 0)}, want: "t-same"},
		{name: "after is preferred to within the skew",
			tasks: []eci.Task{task("t-skewed", "app", -10*time.Second), task("t-after", "app", 3*time.Second)}, want: "t-after"},
		{name: "the oldest after the intent", tasks: []eci.Task{task("t-late", "app", 9*time.Second), task("t-early", "app", 2*time.Second)}, want: "t-early"},
		{name: "the latest within the skew when none after",
			tasks: []eci.Task{task("t-old", "app", -25*time.Second), task("t-recent", "app", -5*time.Second)}, want: "t-recent"},
		{name: "before the skew window", tasks: []eci.Task{task("t-ancient", "app", -31*time.Second)}, want: ""},
		{name: "another container", tasks: []eci.Task{task("t-other", "sidecar", 2*time.Second)}, want: ""},
		{name: "claimed by another object", tasks: []eci.Task{task("t-claimed", "app", 2*time.Second), task("t-free", "app", 4*time.Second)},
			holders: []*eciv1.ContainerCommit{holder("t-claimed")}, want: "t-free"},
		{name: "an earlier attempt's task", tasks: []eci.Task{task("t-attempt0", "app", 1*time.Second)}, history: []string{"t-attempt0"}, want: ""},
		{name: "found on a later page", tasks: []eci.Task{task("a", "sidecar", time.Second), task("b", "sidecar", time.Second),
			task("c", "sidecar", time.Second), task("t-page2", "app", time.Second)}, want: "t-page2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, obj, cloud := adoptionFixture(t, tc.tasks, tc.holders...)
			for _, id := range tc.history {
				obj.Status.History = append(obj.Status.History, eciv1.AttemptRecord{TaskID: id})
			}
			got, err := r.findUnclaimedTask(context.Background(), obj, cloud)
			if err != nil {
				t.Fatal(err)
			}
			gotID := ""
			if got != nil {
				gotID = got.TaskID
			}
			if gotID != tc.want {
				t.Fatalf("adopted %q, want %q", gotID, tc.want)
			}
		})
	}
}
