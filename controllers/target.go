package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
)

// Annotations that ACK puts on a pod scheduled to an ECI virtual node.
const (
	eciInstanceIDAnnotation   = "k8s.aliyun.com/eci-instance-id"
	eciInstanceZoneAnnotation = "k8s.aliyun.com/eci-instance-zone"
)

// podWait is how often a ContainerCommit waiting for its pod looks again.
// Pods are read live, not watched: caching every pod of the cluster would
// cost far more than an occasional read.
const podWait = 5 * time.Second

// resolution is the outcome of finding where a commit goes: a target, or a
// reason to wait, or a reason to fail.
type resolution struct {
	target       targetKey
	waitReason   string
	failReason   string
	message      string
	requeueAfter time.Duration
}

// resolveTarget finds the region, instance and container of a commit that
// has not been submitted yet.
func (r *ContainerCommitReconciler) resolveTarget(ctx context.Context, obj *eciv1.ContainerCommit) (resolution, error) {
	s := obj.Spec
	if s.PodRef == nil {
		return r.withRegion(resolution{target: targetKey{region: s.RegionID, group: s.ContainerGroupID, container: s.ContainerName}}), nil
	}
	pod := &corev1.Pod{}
	key := types.NamespacedName{Namespace: obj.Namespace, Name: s.PodRef.Name}
	if err := r.APIReader.Get(ctx, key, pod); apierrors.IsNotFound(err) {
		return waitFor(eciv1.ReasonPodNotFound, fmt.Sprintf("Waiting for pod %s to exist", key.Name)), nil
	} else if err != nil {
		return resolution{}, err
	}
	if !slices.ContainsFunc(pod.Spec.Containers, func(c corev1.Container) bool { return c.Name == s.ContainerName }) {
		return resolution{failReason: eciv1.ReasonContainerNotFound,
			message: fmt.Sprintf("Pod %s has no container %q", pod.Name, s.ContainerName)}, nil
	}
	instance := pod.Annotations[eciInstanceIDAnnotation]
	switch {
	case instance == "" && pod.Spec.NodeName == "":
		return waitFor(eciv1.ReasonPodNotScheduled, fmt.Sprintf("Waiting for pod %s to be scheduled to an ECI virtual node", pod.Name)), nil
	case instance == "":
		return resolution{failReason: eciv1.ReasonNotECIPod, message: fmt.Sprintf(
			"Pod %s runs on node %s, which is not an ECI virtual node: it has no %s annotation", pod.Name, pod.Spec.NodeName, eciInstanceIDAnnotation)}, nil
	}
	running := slices.ContainsFunc(pod.Status.ContainerStatuses, func(c corev1.ContainerStatus) bool {
		return c.Name == s.ContainerName && c.State.Running != nil
	})
	if !running {
		return waitFor(eciv1.ReasonContainerNotRunning, fmt.Sprintf("Waiting for container %q of pod %s to run", s.ContainerName, pod.Name)), nil
	}
	region := s.RegionID
	if region == "" {
		region = regionOfZone(pod.Annotations[eciInstanceZoneAnnotation])
	}
	return r.withRegion(resolution{target: targetKey{region: region, group: instance, container: s.ContainerName}}), nil
}

// withRegion falls back to the controller's default region.
func (r *ContainerCommitReconciler) withRegion(res resolution) resolution {
	if res.target.region == "" {
		res.target.region = r.DefaultRegion
	}
	if res.target.region == "" {
		res.failReason = eciv1.ReasonRegionUnknown
		res.message = "No region: spec.regionId is empty, the pod has no zone annotation, and the controller has no --default-region"
	}
	return res
}

func waitFor(reason, message string) resolution {
	return resolution{waitReason: reason, message: message, requeueAfter: podWait}
}

// regionOfZone turns a zone such as cn-shenzhen-d into its region, cn-shenzhen.
func regionOfZone(zone string) string {
	i := strings.LastIndexByte(zone, '-')
	if i <= 0 {
		return ""
	}
	return zone[:i]
}
