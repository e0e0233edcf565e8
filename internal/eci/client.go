// Package eci is the operator's narrow view of the Alibaba Cloud ECI API: the
// two calls a container commit needs, plain Go types in and out, and errors
// classified by what the caller should do about them. It knows nothing of
// Kubernetes.
package eci

import (
	"context"
	"time"
)

// Client calls the ECI commit APIs. Implementations are safe for concurrent use.
type Client interface {
	// CommitContainer starts a commit task. The call has no idempotency
	// token: every successful call creates a new task.
	CommitContainer(ctx context.Context, req CommitRequest) (CommitResult, error)
	// DescribeCommitContainerTasks reads one page of commit tasks.
	DescribeCommitContainerTasks(ctx context.Context, req DescribeRequest) (DescribePage, error)
}

// CommitRequest holds the parameters of CommitContainer.
type CommitRequest struct {
	RegionID         string
	ContainerGroupID string
	ContainerName    string
	Image            Image
	AcrRegistry      *AcrRegistry
	Role             *Role
}

// Image is where the committed image goes and how it is labelled.
type Image struct {
	Repository string
	Tag        string
	Message    string
	Author     string
}

// AcrRegistry identifies an ACR Enterprise Edition instance.
type AcrRegistry struct {
	InstanceID string
	RegionID   string
	ArnService string
	ArnUser    string
}

// Role is the RAM role that authorises the push.
type Role struct {
	RoleArn  string
	RoleType string
}

// CommitResult is the answer of a successful CommitContainer call.
type CommitResult struct {
	TaskID    string
	RequestID string
}

// TaskStatus is the state of a commit task.
type TaskStatus string

// Task states reported by the cloud.
const (
	TaskRunning   TaskStatus = "Running"
	TaskSucceeded TaskStatus = "Succeeded"
	TaskFailed    TaskStatus = "Failed"
)

// Finished reports whether the task reached a final state.
func (s TaskStatus) Finished() bool { return s == TaskSucceeded || s == TaskFailed }

// MaxDescribeResults is the most tasks one DescribeCommitContainerTask call
// returns, and so the most task IDs worth sending in one call.
const MaxDescribeResults = 50

// DescribeRequest selects commit tasks by ID or by instance.
type DescribeRequest struct {
	RegionID string
	// TaskIDs lists at most MaxDescribeResults task IDs.
	TaskIDs []string
	// ContainerGroupID selects all tasks of one instance.
	ContainerGroupID string
	// Status optionally filters by task state.
	Status TaskStatus
	// MaxResults is the page size, at most MaxDescribeResults; 0 leaves the cloud's default.
	MaxResults int
	// NextToken continues from the previous page.
	NextToken string
}

// DescribePage is one page of commit tasks.
type DescribePage struct {
	RequestID  string
	Tasks      []Task
	NextToken  string
	TotalCount int
}

// Task is a commit task as the cloud reports it.
type Task struct {
	TaskID        string
	Status        TaskStatus
	Progress      string
	Message       string
	ContainerName string
	CreationTime  time.Time
	FinishedTime  time.Time
	Phases        []TaskPhase
}

// TaskPhase is one step of a commit task.
type TaskPhase struct {
	Phase      string
	Status     string
	Message    string
	RecordTime time.Time
}
