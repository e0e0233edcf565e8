package eci

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimitOptions configures WithRateLimit.
type RateLimitOptions struct {
	// QPS is the most calls per second to one region. Required.
	QPS float64
	// Burst is how many calls may go at once after a quiet spell. Default 1.
	Burst int
	// Cooldown is how long a throttling answer keeps the rate lowered
	// before it steps back up. Default 10s.
	Cooldown time.Duration
	// OnWait, if set, is told how long each call waited for its turn.
	OnWait func(region string, waited time.Duration)
}

// RateLimiter spaces calls to each region with a token bucket shared by all
// the clients it wraps, so that the cloud has no reason to throttle. When it
// throttles all the same, the region's rate is halved (down to a sixteenth)
// and recovers by half again per quiet cooldown.
type RateLimiter struct {
	opts RateLimitOptions

	mu      sync.Mutex
	regions map[string]*regionLimiter
}

// NewRateLimiter returns a RateLimiter; wrap clients with its Wrap.
func NewRateLimiter(opts RateLimitOptions) *RateLimiter {
	if opts.Burst <= 0 {
		opts.Burst = 1
	}
	if opts.Cooldown <= 0 {
		opts.Cooldown = 10 * time.Second
	}
	return &RateLimiter{opts: opts, regions: map[string]*regionLimiter{}}
}

// Wrap returns a Client whose calls wait for this limiter's tokens.
func (r *RateLimiter) Wrap(next Client) Client { return &rateLimited{next: next, RateLimiter: r} }

// WithRateLimit wraps one client with a limiter of its own.
func WithRateLimit(next Client, opts RateLimitOptions) Client { return NewRateLimiter(opts).Wrap(next) }

type rateLimited struct {
	next Client
	*RateLimiter
}

type regionLimiter struct {
	bucket *rate.Limiter

	mu      sync.Mutex
	lowered time.Time // when the rate was last lowered or raised
}

func (r *RateLimiter) limiter(region string) *regionLimiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.regions[region]
	if !ok {
		l = &regionLimiter{bucket: rate.NewLimiter(rate.Limit(r.opts.QPS), r.opts.Burst)}
		r.regions[region] = l
	}
	return l
}

// wait blocks until the region has a token for one call.
func (r *RateLimiter) wait(ctx context.Context, region string) (*regionLimiter, error) {
	l := r.limiter(region)
	l.recover(time.Now(), r.opts)
	start := time.Now()
	err := l.bucket.Wait(ctx)
	if r.opts.OnWait != nil {
		r.opts.OnWait(region, time.Since(start))
	}
	return l, err
}

// observe lowers the region's rate when the cloud throttled a call.
func (l *regionLimiter) observe(err error, opts RateLimitOptions) {
	if err == nil || AsError(err).Kind != KindThrottled {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bucket.SetLimit(max(l.bucket.Limit()/2, rate.Limit(opts.QPS/16)))
	l.lowered = time.Now()
}

// recover raises a lowered rate by half once per quiet cooldown.
func (l *regionLimiter) recover(now time.Time, opts RateLimitOptions) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if current := l.bucket.Limit(); current < rate.Limit(opts.QPS) && now.Sub(l.lowered) >= opts.Cooldown {
		l.bucket.SetLimit(min(current*3/2, rate.Limit(opts.QPS)))
		l.lowered = now
	}
}

// Limit returns a region's current rate, for tests and diagnostics.
func (r *RateLimiter) Limit(region string) float64 {
	return float64(r.limiter(region).bucket.Limit())
}

func (r *rateLimited) CommitContainer(ctx context.Context, req CommitRequest) (CommitResult, error) {
	l, err := r.wait(ctx, req.RegionID)
	if err != nil {
		return CommitResult{}, err
	}
	res, err := r.next.CommitContainer(ctx, req)
	l.observe(err, r.opts)
	return res, err
}

func (r *rateLimited) DescribeCommitContainerTasks(ctx context.Context, req DescribeRequest) (DescribePage, error) {
	l, err := r.wait(ctx, req.RegionID)
	if err != nil {
		return DescribePage{}, err
	}
	page, err := r.next.DescribeCommitContainerTasks(ctx, req)
	l.observe(err, r.opts)
	return page, err
}
