package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ContainerCommitSpec names one container of an ECI instance and the ACR
// repository its committed image is pushed to. It maps one to one onto the
// parameters of the ECI CommitContainer API and cannot change after creation:
// a ContainerCommit runs exactly one commit, like a Job runs its pods.
//
// +kubebuilder:validation:XValidation:rule="has(self.containerGroupId) != has(self.podRef)",message="exactly one of spec.containerGroupId and spec.podRef must be set"
// +kubebuilder:validation:XValidation:rule="has(self.acrRegistryInfo) || self.image.repository.matches('^(registry(-intl)?(-vpc)?[.][a-z0-9-]+[.]aliyuncs[.]com|crpi-[a-z0-9]+(-vpc)?[.][a-z0-9-]+[.]personal[.]cr[.]aliyuncs[.]com|[a-z0-9-]+-registry(-vpc)?[.][a-z0-9-]+[.]cr[.]aliyuncs[.]com)/')",message="image.repository must be an ACR repository such as registry-vpc.cn-hangzhou.aliyuncs.com/<namespace>/<repository>; a custom-domain ACR Enterprise repository also needs spec.acrRegistryInfo",fieldPath=".image.repository"
// +kubebuilder:validation:XValidation:rule="has(self.acrRegistryInfo) || !self.image.repository.matches('^[a-z0-9-]+-registry(-vpc)?[.][a-z0-9-]+[.]cr[.]aliyuncs[.]com/')",message="an ACR Enterprise Edition repository (<instance>-registry.<region>.cr.aliyuncs.com) needs spec.acrRegistryInfo with the instance ID and region"
type ContainerCommitSpec struct {
	// RegionID is the Alibaba Cloud region of the ECI instance, such as
	// cn-hangzhou. When empty, the controller's --default-region is used.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]{2}(-[a-z0-9]+){1,3}$')",message="regionId must be an Alibaba Cloud region ID such as cn-hangzhou"
	RegionID string `json:"regionId,omitempty"`

	// ContainerGroupID is the ID of the ECI instance (container group) that
	// runs the container, such as eci-bp1do4xz75fa5sdxxxxx. Set it or podRef.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^eci-[a-z0-9]+$')",message="containerGroupId must be an ECI instance ID: eci- followed by lowercase letters and digits"
	ContainerGroupID string `json:"containerGroupId,omitempty"`

	// PodRef names a pod in the ContainerCommit's namespace that runs on an
	// ECI virtual node; its ECI instance (annotation
	// k8s.aliyun.com/eci-instance-id) and zone (k8s.aliyun.com/eci-instance-zone)
	// give the containerGroupId and, unless regionId is set, the region.
	// Set it or containerGroupId.
	// +optional
	PodRef *PodReference `json:"podRef,omitempty"`

	// ContainerName is the name of the container to save as an image.
	// +required
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="containerName must consist of lowercase letters, digits and '-', and start and end with a letter or digit"
	ContainerName string `json:"containerName"`

	// Image says where the committed image is pushed and how it is labelled.
	// +required
	Image ImageSpec `json:"image"`

	// AcrRegistryInfo identifies the ACR Enterprise Edition instance that
	// hosts the repository. Required for Enterprise Edition repositories,
	// omitted for Personal Edition ones.
	// +optional
	AcrRegistryInfo *AcrRegistryInfo `json:"acrRegistryInfo,omitempty"`

	// Arn is the RAM role that authorises ECI to push to the repository.
	// +optional
	Arn *RoleAuthorization `json:"arn,omitempty"`

	// CredentialsSecretRef names a Secret in the ContainerCommit's own
	// namespace whose keys accessKeyId and accessKeySecret (and, for STS
	// credentials, securityToken) sign this commit's cloud calls. Unset uses
	// the controller's own identity. A Secret in another namespace cannot
	// be named.
	// +optional
	CredentialsSecretRef *SecretReference `json:"credentialsSecretRef,omitempty"`

	// SubmissionDeadlineSeconds bounds how long the controller keeps
	// retrying to submit the commit (throttling, cloud errors) before it
	// fails the attempt with reason SubmissionDeadlineExceeded. A task that
	// the cloud already runs is always followed to its end. Unset means no
	// deadline.
	// +optional
	// +kubebuilder:validation:Minimum=1
	SubmissionDeadlineSeconds *int64 `json:"submissionDeadlineSeconds,omitempty"`

	// TTLSecondsAfterFinished deletes the ContainerCommit this many seconds
	// after it succeeded or failed, as for Jobs. Unset keeps it.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
}

// SecretReference names a Secret in the same namespace.
type SecretReference struct {
	// Name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// PodReference names a pod in the same namespace.
type PodReference struct {
	// Name of the pod.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// ImageSpec is the image that the commit produces.
type ImageSpec struct {
	// Repository is the ACR repository address without tag or digest, such as
	// registry-vpc.cn-hangzhou.aliyuncs.com/my-namespace/my-repo.
	// +required
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([a-z0-9-]*[a-z0-9])?([.][a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:[0-9]{1,5})?/[a-z0-9]+([._-][a-z0-9]+)*/[a-z0-9]+([._-][a-z0-9]+)*$')",message="image.repository must be <registry host>/<namespace>/<repository> in lowercase, without a tag or digest"
	Repository string `json:"repository"`

	// Tag is the tag of the committed image. When empty the cloud keeps the
	// image's current tag.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$')",message="image.tag must start with a letter, digit or '_' and contain only letters, digits, '_', '.' and '-' (at most 128 characters)"
	Tag string `json:"tag,omitempty"`

	// Message is the commit message recorded in the image.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`

	// Author is the author recorded in the image.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Author string `json:"author,omitempty"`
}

// AcrRegistryInfo identifies an ACR Enterprise Edition instance and, for
// pushes across accounts, the roles that grant access to it.
type AcrRegistryInfo struct {
	// InstanceID is the ACR Enterprise Edition instance ID, such as cri-nwj395hgf6f3xxxx.
	// +required
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^cri-[a-z0-9]+$')",message="acrRegistryInfo.instanceId must be an ACR instance ID: cri- followed by lowercase letters and digits"
	InstanceID string `json:"instanceId"`

	// RegionID is the region of the ACR instance.
	// +required
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]{2}(-[a-z0-9]+){1,3}$')",message="acrRegistryInfo.regionId must be an Alibaba Cloud region ID such as cn-hangzhou"
	RegionID string `json:"regionId"`

	// ArnService is the ARN of the RAM role of the grantee, for a push to
	// a registry of another account.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.matches('^acs:ram::[0-9]+:role/[A-Za-z0-9._@/-]+$')",message="acrRegistryInfo.arnService must be a RAM role ARN such as acs:ram::1609982529000000:role/role-test"
	ArnService string `json:"arnService,omitempty"`

	// ArnUser is the ARN of the RAM role of the grantor, for a push to a
	// registry of another account.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.matches('^acs:ram::[0-9]+:role/[A-Za-z0-9._@/-]+$')",message="acrRegistryInfo.arnUser must be a RAM role ARN such as acs:ram::1298452580000000:role/role-test"
	ArnUser string `json:"arnUser,omitempty"`
}

// RoleType says how ECI is authorised to push the image.
// +kubebuilder:validation:Enum=service
type RoleType string

// RoleTypeService authorises the push with a RAM role.
const RoleTypeService RoleType = "service"

// RoleAuthorization is the RAM role that authorises the push.
type RoleAuthorization struct {
	// RoleArn is the ARN of the authorising RAM role.
	// +required
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.matches('^acs:ram::[0-9]+:role/[A-Za-z0-9._@/-]+$')",message="arn.roleArn must be a RAM role ARN such as acs:ram::1609982529000000:role/role-test"
	RoleArn string `json:"roleArn"`

	// RoleType is how the role is used; only "service" is supported.
	// +optional
	RoleType RoleType `json:"roleType,omitempty"`
}

// Phase is where a ContainerCommit is in its life.
// +kubebuilder:validation:Enum=Pending;Submitting;Running;Succeeded;Failed
type Phase string

const (
	// PhasePending means accepted but not yet submitted to the cloud.
	PhasePending Phase = "Pending"
	// PhaseSubmitting means the intent to call CommitContainer is recorded and the
	// call is under way (or its answer is not yet recorded).
	PhaseSubmitting Phase = "Submitting"
	// PhaseRunning means the cloud accepted the commit; status.taskId tracks it.
	PhaseRunning Phase = "Running"
	// PhaseSucceeded means the image was pushed. Final.
	PhaseSucceeded Phase = "Succeeded"
	// PhaseFailed means the commit failed or was rejected. Final.
	PhaseFailed Phase = "Failed"
)

// IsFinished reports whether the phase is final.
func (p Phase) IsFinished() bool { return p == PhaseSucceeded || p == PhaseFailed }

// CommitPhaseInfo is one step of the cloud's commit task.
type CommitPhaseInfo struct {
	// Phase is the step, such as PullBaseImage, CommitContainer or PushCommittedImage.
	Phase string `json:"phase"`
	// Status is the step's result as the cloud reports it, such as Success.
	// +optional
	Status string `json:"status,omitempty"`
	// Message is the cloud's description of the step.
	// +optional
	Message string `json:"message,omitempty"`
	// RecordTime is when the cloud recorded the step.
	// +optional
	RecordTime *metav1.Time `json:"recordTime,omitempty"`
}

// CloudError is an error answer of the cloud API, kept verbatim so that it
// can be looked up with Alibaba Cloud support.
type CloudError struct {
	// Code is the cloud's error code, such as IncorrectStatusDetail.
	Code string `json:"code"`
	// Message is the cloud's error message.
	// +optional
	Message string `json:"message,omitempty"`
	// RequestID identifies the failed request.
	// +optional
	RequestID string `json:"requestId,omitempty"`
}

// AttemptRecord summarises an earlier attempt of a ContainerCommit that was
// re-run with the RetryRequestedAnnotation.
type AttemptRecord struct {
	// Attempt numbers the attempt, from 0.
	Attempt int32 `json:"attempt"`
	// Phase is the attempt's final phase.
	Phase Phase `json:"phase"`
	// TaskID is the attempt's cloud task, if one was created.
	// +optional
	TaskID string `json:"taskId,omitempty"`
	// RequestID is the request that created the task.
	// +optional
	RequestID string `json:"requestId,omitempty"`
	// Reason and Message are those of the attempt's final Ready condition.
	// +optional
	Reason string `json:"reason,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// LastError is the attempt's last cloud error.
	// +optional
	LastError *CloudError `json:"lastError,omitempty"`
	// SubmissionTime and CompletionTime bound the attempt.
	// +optional
	SubmissionTime *metav1.Time `json:"submissionTime,omitempty"`
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
}

// RetryRequestedAnnotation re-runs a Failed ContainerCommit when set to a
// new value (by convention the current time, as in
// `kubectl annotate containercommit NAME eci.containercommit.dev/requestedAt="$(date +%s)" --overwrite`).
// The failed attempt moves to status.history and a new attempt follows the
// same exactly-once rules.
const RetryRequestedAnnotation = "eci.containercommit.dev/requestedAt"

// MaxAttemptHistory is how many earlier attempts status.history keeps.
const MaxAttemptHistory = 10

// ContainerCommitStatus is the observed state of a ContainerCommit.
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.taskId) || size(oldSelf.taskId) == 0 || (has(self.taskId) && self.taskId == oldSelf.taskId) || (has(self.attempt) ? self.attempt : 0) > (has(oldSelf.attempt) ? oldSelf.attempt : 0)",message="status.taskId cannot change within an attempt: a recorded commit task is never replaced"
type ContainerCommitStatus struct {
	// ObservedGeneration is the generation of the spec last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase is a one-word summary: Pending, Submitting, Running, Succeeded or Failed.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// RegionID is the region the commit was submitted to.
	// +optional
	RegionID string `json:"regionId,omitempty"`

	// ContainerGroupID is the ECI instance the commit was submitted for,
	// from spec.containerGroupId or resolved from spec.podRef.
	// +optional
	ContainerGroupID string `json:"containerGroupId,omitempty"`

	// SubmissionTime is when the controller recorded its intent to call
	// CommitContainer, before making the call.
	// +optional
	SubmissionTime *metav1.Time `json:"submissionTime,omitempty"`

	// TaskID is the ID of the cloud's commit task. Once set it never changes.
	// +optional
	TaskID string `json:"taskId,omitempty"`

	// RequestID is the request ID of the CommitContainer call that created the task.
	// +optional
	RequestID string `json:"requestId,omitempty"`

	// Progress is the task's progress as the cloud reports it, such as 50%.
	// +optional
	Progress string `json:"progress,omitempty"`

	// Message is the cloud's latest status message for the task.
	// +optional
	Message string `json:"message,omitempty"`

	// CommitPhases are the steps of the cloud's task so far.
	// +optional
	// +listType=atomic
	CommitPhases []CommitPhaseInfo `json:"commitPhases,omitempty"`

	// LastError is the last error answer of the cloud, if any.
	// +optional
	LastError *CloudError `json:"lastError,omitempty"`

	// Image is the committed image reference, set once the commit succeeded.
	// +optional
	Image string `json:"image,omitempty"`

	// StartTime is when the cloud created the task.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// CompletionTime is when the commit reached a final phase.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// AttemptStartTime is when the current attempt began: creation for the
	// first attempt, the handling of the retry request for later ones.
	// +optional
	AttemptStartTime *metav1.Time `json:"attemptStartTime,omitempty"`

	// Attempt numbers the current attempt, from 0; it grows each time a
	// Failed commit is re-run with the RetryRequestedAnnotation.
	// +optional
	Attempt int32 `json:"attempt,omitempty"`

	// LastHandledRequestedAt is the value of the RetryRequestedAnnotation
	// that started the current attempt.
	// +optional
	LastHandledRequestedAt string `json:"lastHandledRequestedAt,omitempty"`

	// History lists earlier attempts, oldest first, at most 10.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	History []AttemptRecord `json:"history,omitempty"`

	// Conditions: Ready summarises the commit; Reconciling and Stalled follow
	// the kstatus conventions; Submitted says whether the cloud task exists.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ContainerCommit saves one running container of an Alibaba Cloud ECI
// instance as an image and pushes it to an ACR repository. It runs once, to
// completion, like a Job.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ccommit;ccommits,categories=eci
// +kubebuilder:selectablefield:JSONPath=`.status.containerGroupId`
// +kubebuilder:selectablefield:JSONPath=`.status.taskId`
// +kubebuilder:selectablefield:JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Progress",type=string,JSONPath=`.status.progress`
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.status.image`
// +kubebuilder:printcolumn:name="Task",type=string,JSONPath=`.status.taskId`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Instance",type=string,JSONPath=`.status.containerGroupId`,priority=1
// +kubebuilder:printcolumn:name="Container",type=string,JSONPath=`.spec.containerName`,priority=1
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
type ContainerCommit struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable: a ContainerCommit runs one commit; create a new ContainerCommit to commit again"
	Spec   ContainerCommitSpec   `json:"spec"`
	Status ContainerCommitStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ContainerCommitList is a list of ContainerCommits.
type ContainerCommitList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ContainerCommit `json:"items"`
}
