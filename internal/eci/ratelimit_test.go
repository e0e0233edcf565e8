package eci

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

type countingClient struct {
	calls atomic.Int64
	err   error
}

func (c *countingClient) CommitContainer(context.Context, CommitRequest) (CommitResult, error) {
	c.calls.Add(1)
	return CommitResult{TaskID: "t"}, c.err
}

func (c *countingClient) DescribeCommitContainerTasks(context.Context, DescribeRequest) (DescribePage, error) {
	c.calls.Add(1)
	return DescribePage{}, c.err
}

func TestRateLimitSpacesCallsPerRegion(t *testing.T) {
	next := &countingClient{}
	var waits atomic.Int64
	c := WithRateLimit(next, RateLimitOptions{QPS: 50, Burst: 1, OnWait: func(string, time.Duration) { waits.Add(1) }})
	start := time.Now()
	for range 11 {
		if _, err := c.CommitContainer(context.Background(), CommitRequest{RegionID: "a"}); err != nil {
			t.Fatal(err)
		}
	}
	// 11 calls at 50/s with a burst of 1 need at least 10 intervals of 20 ms.
	if elapsed := time.Since(start); elapsed < 190*time.Millisecond {
		t.Fatalf("11 calls took %s, want at least 200ms at 50 QPS", elapsed)
	}
	// Another region has a bucket of its own.
	if _, err := c.DescribeCommitContainerTasks(context.Background(), DescribeRequest{RegionID: "b"}); err != nil {
		t.Fatal(err)
	}
	rl := c.(*rateLimited).RateLimiter
	if rl.limiter("a") == rl.limiter("b") || len(rl.regions) != 2 {
		t.Error("two regions share a bucket")
	}
	if waits.Load() != 12 {
		t.Errorf("OnWait told of %d calls, want 12", waits.Load())
	}
}

func TestThrottlingLowersTheRateUntilCooldown(t *testing.T) {
	next := &countingClient{err: &Error{Code: "Throttling.User", Kind: KindThrottled}}
	c := WithRateLimit(next, RateLimitOptions{QPS: 64, Burst: 100, Cooldown: 50 * time.Millisecond}).(*rateLimited)
	shared := NewRateLimiter(RateLimitOptions{QPS: 1})
	if shared.Wrap(next).(*rateLimited).RateLimiter != shared.Wrap(&countingClient{}).(*rateLimited).RateLimiter {
		t.Fatal("two clients wrapped by one limiter do not share it")
	}
	for range 6 {
		_, _ = c.CommitContainer(context.Background(), CommitRequest{RegionID: "a"})
	}
	if got := c.Limit("a"); got != 4 {
		t.Fatalf("after 6 throttles the rate is %v, want the floor 64/16 = 4", got)
	}
	next.err = errors.New("not a throttle")
	_, _ = c.CommitContainer(context.Background(), CommitRequest{RegionID: "a"})
	if got := c.Limit("a"); got != 4 {
		t.Fatalf("another error changed the rate to %v", got)
	}
	time.Sleep(60 * time.Millisecond)
	_, _ = c.CommitContainer(context.Background(), CommitRequest{RegionID: "a"})
	if got := c.Limit("a"); got != 6 {
		t.Fatalf("after a quiet cooldown the rate is %v, want 6", got)
	}
}

func TestRateLimitWaitHonoursTheContext(t *testing.T) {
	next := &countingClient{}
	c := WithRateLimit(next, RateLimitOptions{QPS: 0.001, Burst: 1})
	_, _ = c.CommitContainer(context.Background(), CommitRequest{RegionID: "a"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.DescribeCommitContainerTasks(ctx, DescribeRequest{RegionID: "a"}); err == nil {
		t.Fatal("a call went through an empty bucket")
	}
	if _, err := c.CommitContainer(ctx, CommitRequest{RegionID: "a"}); err == nil {
		t.Fatal("a call went through an empty bucket")
	}
	if next.calls.Load() != 1 {
		t.Fatalf("%d calls reached the cloud, want 1", next.calls.Load())
	}
}
