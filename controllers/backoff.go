package controllers

import (
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
)

// BackoffOptions bounds the waits between retries of failed cloud calls.
// Throttling backs off harder than other transient errors by default:
// retrying fast only prolongs it.
type BackoffOptions struct {
	TransientBase, TransientMax time.Duration
	ThrottledBase, ThrottledMax time.Duration
}

func (o BackoffOptions) withDefaults() BackoffOptions {
	if o.TransientBase <= 0 {
		o.TransientBase = time.Second
	}
	if o.TransientMax <= 0 {
		o.TransientMax = 2 * time.Minute
	}
	if o.ThrottledBase <= 0 {
		o.ThrottledBase = 5 * time.Second
	}
	if o.ThrottledMax <= 0 {
		o.ThrottledMax = 5 * time.Minute
	}
	return o
}

// backoff hands out capped exponential delays with jitter per object.
type backoff struct {
	opts     BackoffOptions
	mu       sync.Mutex
	failures map[types.NamespacedName]int
}

func newBackoff(opts BackoffOptions) *backoff {
	return &backoff{opts: opts.withDefaults(), failures: map[types.NamespacedName]int{}}
}

// next counts a failure of the object and returns how long to wait.
func (b *backoff) next(key types.NamespacedName, kind eci.Kind) time.Duration {
	b.mu.Lock()
	n := b.failures[key]
	b.failures[key] = n + 1
	b.mu.Unlock()
	base, limit := b.opts.TransientBase, b.opts.TransientMax
	if kind == eci.KindThrottled {
		base, limit = b.opts.ThrottledBase, b.opts.ThrottledMax
	}
	d := min(base<<min(n, 20), limit)
	// Jitter over the upper half keeps objects that failed together from
	// retrying together.
	return d/2 + rand.N(d/2+1) //nolint:gosec // jitter needs no cryptographic randomness
}

// reset forgets the object's failures.
func (b *backoff) reset(key types.NamespacedName) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.failures, key)
}
