package ecisim

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"time"
)

// Chaos injects random faults into calls that no queued Fault matches, for
// fault-injection tests. Rates are probabilities per call, checked in the
// order of the fields.
type Chaos struct {
	// Actions limits chaos to these actions; empty means every action.
	Actions []string
	// ThrottleRate answers Throttling.User (HTTP 400).
	ThrottleRate float64
	// ServerErrorRate answers ServiceUnavailable (HTTP 503).
	ServerErrorRate float64
	// DropRequestRate loses the request: the call has no effect.
	DropRequestRate float64
	// DropResponseRate loses the answer of CommitContainer calls: the call
	// takes effect, the caller never learns it.
	DropResponseRate float64
	// MaxLatency delays each answer by a random duration up to it.
	MaxLatency time.Duration
	// Seed makes the sequence of faults repeatable.
	Seed uint64
}

type chaos struct {
	Chaos
	rng *rand.Rand
}

// SetChaos turns random faults on; the zero Chaos turns them off.
func (s *Server) SetChaos(c Chaos) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ThrottleRate == 0 && c.ServerErrorRate == 0 && c.DropRequestRate == 0 && c.DropResponseRate == 0 && c.MaxLatency == 0 {
		s.chaos = nil
		return
	}
	s.chaos = &chaos{Chaos: c, rng: rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))} //nolint:gosec // test faults need no cryptographic randomness
}

// fault draws a random fault for action; the caller holds the server's lock.
func (c *chaos) fault(action string) (Fault, bool) {
	if c == nil || (len(c.Actions) > 0 && !slices.Contains(c.Actions, action)) {
		return Fault{}, false
	}
	x := c.rng.Float64()
	for _, f := range []struct {
		rate  float64
		fault Fault
	}{
		{c.ThrottleRate, Fault{Code: "Throttling.User", HTTPStatus: http.StatusBadRequest, Message: "Request was denied due to user flow control."}},
		{c.ServerErrorRate, Fault{Code: "ServiceUnavailable", HTTPStatus: http.StatusServiceUnavailable, Message: "The request has failed due to a temporary failure of the server."}},
		{c.DropRequestRate, Fault{DropRequest: true}},
		{c.DropResponseRate, Fault{DropResponse: action == "CommitContainer", DropRequest: action != "CommitContainer"}},
	} {
		if x < f.rate {
			return f.fault, true
		}
		x -= f.rate
	}
	return Fault{}, false
}

// latency draws a random delay; the caller holds the server's lock.
func (c *chaos) latency() time.Duration {
	if c == nil || c.MaxLatency <= 0 {
		return 0
	}
	return time.Duration(c.rng.Int64N(int64(c.MaxLatency)))
}
