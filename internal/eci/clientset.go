package eci

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
)

// Credentials is an AccessKey pair, with an STS security token when it is
// temporary. Its String never shows the secret or the token.
type Credentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// Identity names the credentials for cache keys and grouping without
// revealing them: a truncated SHA-256 of all three parts. Rotating any part
// gives a new identity.
func (c Credentials) Identity() string {
	sum := sha256.Sum256([]byte(c.AccessKeyID + "\x00" + c.AccessKeySecret + "\x00" + c.SecurityToken))
	return hex.EncodeToString(sum[:8])
}

// String shows only the AccessKey ID, so that logging a Credentials by
// mistake leaks nothing.
func (c Credentials) String() string {
	return "Credentials{AccessKeyID: " + c.AccessKeyID + ", secret: redacted}"
}

// GoString keeps %#v as safe as %v.
func (c Credentials) GoString() string { return c.String() }

// ClientSet hands out cloud clients: one for the controller's own identity
// and one per set of explicit credentials, built on first use and kept for
// the most recently used few, so that rotating Secrets cannot grow it
// without bound.
type ClientSet struct {
	opts  Options
	wrap  func(Client) Client
	def   Client
	limit int

	mu      sync.Mutex
	order   *list.List // of *clientSetEntry, most recently used first
	byIdent map[string]*list.Element
}

type clientSetEntry struct {
	identity string
	client   Client
}

// NewClientSet builds the default client from opts (whose Credentials may be
// nil for the SDK's default chain) and keeps up to limit others. wrap, if
// set, decorates every client (rate limiting, metrics).
func NewClientSet(opts Options, wrap func(Client) Client, limit int) (*ClientSet, error) {
	if wrap == nil {
		wrap = func(c Client) Client { return c }
	}
	if limit <= 0 {
		limit = 64
	}
	def, err := NewClient(opts)
	if err != nil {
		return nil, err
	}
	return &ClientSet{opts: opts, wrap: wrap, def: wrap(def), limit: limit, order: list.New(), byIdent: map[string]*list.Element{}}, nil
}

// Default returns the client of the controller's own identity.
func (s *ClientSet) Default() Client { return s.def }

// For returns the client that signs with c.
func (s *ClientSet) For(c Credentials) (Client, error) {
	id := c.Identity()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byIdent[id]; ok {
		s.order.MoveToFront(e)
		return e.Value.(*clientSetEntry).client, nil
	}
	opts := s.opts
	if c.SecurityToken != "" {
		opts.Credentials = credentials.NewStaticSTSCredentialsProvider(c.AccessKeyID, c.AccessKeySecret, c.SecurityToken)
	} else {
		opts.Credentials = credentials.NewStaticAKCredentialsProvider(c.AccessKeyID, c.AccessKeySecret)
	}
	raw, err := NewClient(opts)
	if err != nil {
		return nil, err
	}
	client := s.wrap(raw)
	s.byIdent[id] = s.order.PushFront(&clientSetEntry{identity: id, client: client})
	for s.order.Len() > s.limit {
		oldest := s.order.Back()
		s.order.Remove(oldest)
		delete(s.byIdent, oldest.Value.(*clientSetEntry).identity)
	}
	return client, nil
}

// Len returns how many clients for explicit credentials are kept.
func (s *ClientSet) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}
