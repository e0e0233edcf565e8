package controllers_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
)

func podRefCommit(tg target, name, pod, container string) *eciv1.ContainerCommit {
	obj := tg.commit(name)
	obj.Spec.RegionID = ""
	obj.Spec.ContainerGroupID = ""
	obj.Spec.ContainerName = container
	obj.Spec.PodRef = &eciv1.PodReference{Name: pod}
	return obj
}

func newPod(ns, name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox"}, {Name: "sidecar", Image: "busybox"}}},
	}
}

// scheduleToECI does what ACK and the ECI virtual node do for a pod.
func scheduleToECI(t *testing.T, pod *corev1.Pod, instance, zone string, running bool) {
	t.Helper()
	ctx := context.Background()
	// The annotations come first so that the controller never sees a
	// scheduled pod without them, which would mean a non-ECI node.
	pod.Annotations = map[string]string{"k8s.aliyun.com/eci-instance-id": instance, "k8s.aliyun.com/eci-instance-zone": zone}
	if err := k8s.Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
	binding := &corev1.Binding{Target: corev1.ObjectReference{Kind: "Node", Name: "virtual-kubelet-" + zone}}
	if err := k8s.SubResource("binding").Create(ctx, pod, binding); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(pod), pod); err != nil {
		t.Fatal(err)
	}
	if running {
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}}
		if err := k8s.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
	}
}

func waitForReason(t *testing.T, obj *eciv1.ContainerCommit, reason string) {
	t.Helper()
	waitFor(t, obj, "reason "+reason, func(o *eciv1.ContainerCommit) bool {
		c := condition(o, eciv1.ConditionReady)
		return c != nil && c.Reason == reason
	})
}

func TestPodRefWaitsForAnECIPodAndUsesItsInstanceAndRegion(t *testing.T) {
	tg := newTarget(t)
	obj := podRefCommit(tg, "from-pod", "notebook-0", "app")
	create(t, obj)
	waitForReason(t, obj, eciv1.ReasonPodNotFound)

	pod := newPod(tg.ns, "notebook-0")
	if err := k8s.Create(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	waitForReason(t, obj, eciv1.ReasonPodNotScheduled)
	scheduleToECI(t, pod, tg.group, "cn-hangzhou-k", false)
	if pod.Spec.NodeName == "" {
		t.Fatal("the binding did not schedule the pod")
	}
	waitForReason(t, obj, eciv1.ReasonContainerNotRunning)
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}}
	if err := k8s.Status().Update(context.Background(), pod); err != nil {
		t.Fatal(err)
	}

	got := waitForPhase(t, obj, eciv1.PhaseSucceeded, 30*time.Second)
	if got.Status.ContainerGroupID != tg.group || got.Status.RegionID != "cn-hangzhou" {
		t.Errorf("resolved %s in %s, want %s in cn-hangzhou", got.Status.ContainerGroupID, got.Status.RegionID, tg.group)
	}
	tasks := tasksOf(tg.group)
	if len(tasks) != 1 || tasks[0].Region != "cn-hangzhou" || tasks[0].ContainerName != "app" {
		t.Errorf("tasks: %+v", tasks)
	}
}

func TestPodRefFailsClearly(t *testing.T) {
	tg := newTarget(t)
	ctx := context.Background()
	plain := newPod(tg.ns, "on-a-real-node")
	plain.Spec.NodeName = "node-1"
	if err := k8s.Create(ctx, plain); err != nil {
		t.Fatal(err)
	}
	eciPod := newPod(tg.ns, "eci-pod")
	if err := k8s.Create(ctx, eciPod); err != nil {
		t.Fatal(err)
	}
	scheduleToECI(t, eciPod, tg.group, "cn-hangzhou-k", true)

	cases := []struct {
		name, pod, container, reason, message string
	}{
		{"not-eci", "on-a-real-node", "app", eciv1.ReasonNotECIPod, "not an ECI virtual node"},
		{"no-container", "eci-pod", "ghost", eciv1.ReasonContainerNotFound, `no container "ghost"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := podRefCommit(tg, tc.name, tc.pod, tc.container)
			create(t, obj)
			got := waitForPhase(t, obj, eciv1.PhaseFailed, 10*time.Second)
			ready := condition(got, eciv1.ConditionReady)
			if ready == nil || ready.Reason != tc.reason {
				t.Fatalf("Ready: %+v", ready)
			}
			mustContain(t, "Ready message", ready.Message, tc.message)
		})
	}
	if n := len(tasksOf(tg.group)); n != 0 {
		t.Errorf("%d tasks for commits that should have failed before any call", n)
	}
}

func TestTTLDeletesFinishedCommits(t *testing.T) {
	tg := newTarget(t)
	obj := tg.commit("short-lived")
	ttl := int32(1)
	obj.Spec.TTLSecondsAfterFinished = &ttl
	create(t, obj)
	waitForPhase(t, obj, eciv1.PhaseSucceeded, 20*time.Second)
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), &eciv1.ContainerCommit{})
		if apierrors.IsNotFound(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still there 15s after finishing with a 1s TTL (err %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
