package controllers

import (
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
)

// Retry bounds. Throttling backs off harder than other transient errors:
// retrying fast only prolongs it.
const (
	transientBase = time.Second
	transientMax  = 2 * time.Minute
	throttledBase = 5 * time.Second
	throttledMax  = 5 * time.Minute
)

// backoff hands out capped exponential delays with jitter per object.
type backoff struct {
	mu       sync.Mutex
	failures map[types.UID]int
}

func newBackoff() *backoff {
	return &backoff{failures: map[types.UID]int{}}
}

// next counts a failure of the object and returns how long to wait.
func (b *backoff) next(uid types.UID, kind eci.Kind) time.Duration {
	b.mu.Lock()
	n := b.failures[uid]
	b.failures[uid] = n + 1
	b.mu.Unlock()
	base, limit := transientBase, transientMax
	if kind == eci.KindThrottled {
		base, limit = throttledBase, throttledMax
	}
	d := min(base<<min(n, 16), limit)
	// Full jitter in the upper half keeps objects that failed together from
	// retrying together.
	return d/2 + rand.N(d/2+1)
}

// reset forgets the object's failures.
func (b *backoff) reset(uid types.UID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.failures, uid)
}
