package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
)

// secretName is the credentials Secret every test uses.
const secretName = "aliyun"

func credentialsSecret(ns string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: secretName}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func withSecret(obj *eciv1.ContainerCommit) *eciv1.ContainerCommit {
	obj.Spec.CredentialsSecretRef = &eciv1.SecretReference{Name: secretName}
	return obj
}

func TestCommitSignsWithItsNamespacesSecretAndWaitsForIt(t *testing.T) {
	tg := newTarget(t)
	sim.AddCredential(ecisim.Credential{AccessKeyID: "LTAI-team-" + tg.ns, AccessKeySecret: "team-secret"})
	obj := withSecret(tg.commit("team-creds"))
	create(t, obj)
	waitForReason(t, obj, eciv1.ReasonCredentialsNotFound)

	// A Secret of that name in another namespace is out of reach.
	other := newTarget(t)
	if err := k8s.Create(context.Background(), credentialsSecret(other.ns, map[string]string{
		"accessKeyId": "LTAI-team-" + tg.ns, "accessKeySecret": "team-secret",
	})); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	waitForReason(t, obj, eciv1.ReasonCredentialsNotFound)

	// A Secret without the secret key is named in the condition.
	secret := credentialsSecret(tg.ns, map[string]string{"accessKeyId": "LTAI-team-" + tg.ns})
	if err := k8s.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	waitFor(t, obj, "a message naming the key", func(o *eciv1.ContainerCommit) bool {
		c := condition(o, eciv1.ConditionReady)
		return c != nil && c.Reason == eciv1.ReasonCredentialsNotFound && contains(c.Message, "no key accessKeySecret")
	})
	secret.Data["accessKeySecret"] = []byte("team-secret")
	if err := k8s.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}

	got := waitForPhase(t, obj, eciv1.PhaseSucceeded, 30*time.Second)
	tasks := tasksOf(tg.group)
	if len(tasks) != 1 || tasks[0].ID != got.Status.TaskID || tasks[0].Params.Get("AccessKeyId") != "LTAI-team-"+tg.ns {
		t.Fatalf("the task was not signed by the namespace's credentials: %+v", tasks)
	}
}

func TestRotatedSecretTakesEffectWithoutRestart(t *testing.T) {
	tg := newTarget(t)
	id := "LTAI-rotate-" + tg.ns
	sim.AddCredential(ecisim.Credential{AccessKeyID: id, AccessKeySecret: "first"})
	secret := credentialsSecret(tg.ns, map[string]string{"accessKeyId": id, "accessKeySecret": "first"})
	if err := k8s.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	first := withSecret(tg.commit("before-rotation"))
	create(t, first)
	waitForPhase(t, first, eciv1.PhaseSucceeded, 20*time.Second)

	// The cloud now knows only the new secret, and so does the Secret.
	sim.AddCredential(ecisim.Credential{AccessKeyID: id, AccessKeySecret: "second"})
	secret.Data["accessKeySecret"] = []byte("second")
	if err := k8s.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	second := withSecret(tg.commit("after-rotation"))
	create(t, second)
	waitForPhase(t, second, eciv1.PhaseSucceeded, 20*time.Second)
	if n := len(tasksOf(tg.group)); n != 2 {
		t.Errorf("%d tasks, want 2", n)
	}
}

func TestWrongSecretFailsOnceWithAuthenticationFailed(t *testing.T) {
	tg := newTarget(t)
	if err := k8s.Create(context.Background(), credentialsSecret(tg.ns, map[string]string{
		"accessKeyId": keyID, "accessKeySecret": "not-the-secret",
	})); err != nil {
		t.Fatal(err)
	}
	before := sim.Calls("CommitContainer")
	obj := withSecret(tg.commit("wrong-secret"))
	create(t, obj)
	got := waitForPhase(t, obj, eciv1.PhaseFailed, 20*time.Second)
	settle()
	if ready := condition(got, eciv1.ConditionReady); ready == nil || ready.Reason != eciv1.ReasonAuthenticationFailed {
		t.Fatalf("Ready: %+v", ready)
	}
	if calls := sim.Calls("CommitContainer") - before; calls != 1 {
		t.Errorf("CommitContainer called %d times, want 1", calls)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
