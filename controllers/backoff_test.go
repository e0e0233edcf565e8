package controllers

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
)

var (
	keyA = types.NamespacedName{Namespace: "n", Name: "a"}
	keyB = types.NamespacedName{Namespace: "n", Name: "b"}
)

func TestBackoffGrowsIsCappedAndResets(t *testing.T) {
	b := newBackoff(BackoffOptions{TransientBase: time.Second, TransientMax: 8 * time.Second, ThrottledBase: 10 * time.Second, ThrottledMax: time.Minute})
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for i, full := range want {
		d := b.next(keyA, eci.KindTransient)
		if d < full/2 || d > full {
			t.Fatalf("failure %d: wait %s, want within [%s, %s]", i, d, full/2, full)
		}
	}
	if d := b.next(keyB, eci.KindThrottled); d < 5*time.Second || d > 10*time.Second {
		t.Fatalf("first throttled wait %s, want within [5s, 10s]", d)
	}
	b.reset(keyA)
	if d := b.next(keyA, eci.KindTransient); d > time.Second {
		t.Fatalf("after reset: wait %s, want at most 1s", d)
	}
}
