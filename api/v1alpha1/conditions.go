package v1alpha1

// Condition types of a ContainerCommit. Ready is the summary that
// `kubectl wait --for=condition=Ready` reads; Reconciling and Stalled follow
// the kstatus conventions so that Flux, kpt and Argo CD can tell a running
// commit from a finished or failed one.
const (
	// ConditionReady is True once the image is pushed, False otherwise.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the commit is being submitted or runs.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the commit failed for good.
	ConditionStalled = "Stalled"
	// ConditionSubmitted is True once the cloud accepted the commit and
	// status.taskId holds its task.
	ConditionSubmitted = "Submitted"
)

// Reasons of the conditions above.
const (
	// ReasonPending: the commit has not been submitted yet.
	ReasonPending = "Pending"
	// ReasonSubmitting: CommitContainer is being called.
	ReasonSubmitting = "Submitting"
	// ReasonTaskCreated: the cloud returned a task ID.
	ReasonTaskCreated = "TaskCreated"
	// ReasonTaskRunning: the cloud task runs.
	ReasonTaskRunning = "TaskRunning"
	// ReasonSucceeded: the image was pushed.
	ReasonSucceeded = "Succeeded"
	// ReasonTaskFailed: the cloud task ended in failure.
	ReasonTaskFailed = "TaskFailed"
	// ReasonCommitRejected: the cloud refused the CommitContainer call with
	// an error that a retry cannot fix (bad parameter, wrong instance state).
	ReasonCommitRejected = "CommitRejected"
	// ReasonAuthenticationFailed: the cloud refused the credentials or the
	// signature, or the identity lacks permission.
	ReasonAuthenticationFailed = "AuthenticationFailed"
	// ReasonCloudUnavailable: the cloud answered with a transient error; the
	// controller retries with backoff.
	ReasonCloudUnavailable = "CloudUnavailable"
	// ReasonThrottled: the cloud throttled the controller; it retries later.
	ReasonThrottled = "Throttled"
	// ReasonRegionUnknown: neither spec.regionId nor --default-region is set.
	ReasonRegionUnknown = "RegionUnknown"
	// ReasonTaskAdopted: the task of a CommitContainer call whose answer was
	// lost was found in the cloud and recorded.
	ReasonTaskAdopted = "TaskAdopted"
	// ReasonTaskNotFound: the cloud no longer knows the recorded task.
	ReasonTaskNotFound = "TaskNotFound"
	// ReasonSubmissionDeadlineExceeded: spec.submissionDeadlineSeconds passed
	// before the cloud accepted the commit.
	ReasonSubmissionDeadlineExceeded = "SubmissionDeadlineExceeded"
	// ReasonTargetBusy: another ContainerCommit's submission to the same
	// container is unresolved; submissions to one container are serialized
	// so that a task whose answer was lost can be told apart.
	ReasonTargetBusy = "TargetBusy"
	// ReasonPodNotFound: spec.podRef names a pod that does not exist (yet).
	ReasonPodNotFound = "PodNotFound"
	// ReasonPodNotScheduled: the referenced pod has no node yet.
	ReasonPodNotScheduled = "PodNotScheduled"
	// ReasonNotECIPod: the referenced pod runs on a node that is not an ECI
	// virtual node.
	ReasonNotECIPod = "NotECIPod"
	// ReasonContainerNotFound: the referenced pod has no such container.
	ReasonContainerNotFound = "ContainerNotFound"
	// ReasonContainerNotRunning: the container exists but does not run yet.
	ReasonContainerNotRunning = "ContainerNotRunning"
	// ReasonCredentialsNotFound: spec.credentialsSecretRef names a Secret
	// that does not exist or lacks a key; the controller looks again until
	// it appears.
	ReasonCredentialsNotFound = "CredentialsNotFound"
	// ReasonRetryRequested: a new attempt was started by the
	// RetryRequestedAnnotation.
	ReasonRetryRequested = "RetryRequested"
)
