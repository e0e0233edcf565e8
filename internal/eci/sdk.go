package eci

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
)

const apiVersion = "2018-08-08"

// Network selects the family of ECI endpoints.
type Network string

const (
	// NetworkPublic uses eci.<region>.aliyuncs.com.
	NetworkPublic Network = "public"
	// NetworkVPC uses eci-vpc.<region>.aliyuncs.com, reachable only from a VPC.
	NetworkVPC Network = "vpc"
)

// Options configures the SDK-backed client.
type Options struct {
	// Endpoint, when set, replaces the regional endpoint for every region.
	// Its scheme decides between HTTP and HTTPS.
	Endpoint *url.URL
	// Network picks the regional endpoint family when Endpoint is nil.
	Network Network
	// Credentials signs the requests. Nil uses the SDK's default chain:
	// environment variables, RRSA (OIDC), CLI profile, ECS RAM role.
	Credentials credentials.CredentialsProvider
	// Timeout bounds each HTTP request, connection included. Zero means 30s.
	Timeout time.Duration
	// Transport carries the requests. Nil uses a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// MaxConcurrentCalls bounds the calls in flight. Default 16.
	MaxConcurrentCalls int
}

// NewClient returns a Client that calls ECI through alibaba-cloud-sdk-go.
func NewClient(opts Options) (Client, error) {
	if opts.Network == "" {
		opts.Network = NetworkPublic
	}
	if opts.Network != NetworkPublic && opts.Network != NetworkVPC {
		return nil, fmt.Errorf("unknown ECI network %q: want %q or %q", opts.Network, NetworkPublic, NetworkVPC)
	}
	if opts.Endpoint != nil && opts.Endpoint.Scheme != "http" && opts.Endpoint.Scheme != "https" {
		return nil, fmt.Errorf("ECI endpoint %q: the scheme must be http or https", opts.Endpoint)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if opts.MaxConcurrentCalls <= 0 {
		opts.MaxConcurrentCalls = 16
	}
	creds := opts.Credentials
	if creds == nil {
		creds = credentials.NewDefaultCredentialsProvider()
	}
	// The SDK's client is not safe for concurrent use: every call rewrites
	// its http.Client timeout and, for an *http.Transport, the transport's
	// dialer and TLS settings; the default credential chain caches its
	// choice without a lock. So each call borrows a client of its own from
	// a pool, the transport is hidden behind a wrapper type the SDK does not
	// touch, and credential look-ups are serialized.
	creds = &serializedCredentials{inner: creds}
	transport := opaqueTransport{opts.Transport}
	c := &sdkClient{opts: opts, pool: make(chan *sdk.Client, opts.MaxConcurrentCalls)}
	for range opts.MaxConcurrentCalls {
		cfg := sdk.NewConfig().
			WithScheme("HTTPS").
			// CommitContainer is not idempotent: a blind retry after a
			// timeout can create a second task. Retries are the caller's.
			WithAutoRetry(false).
			WithTimeout(opts.Timeout)
		cfg.Transport = transport
		cl, err := sdk.NewClientWithOptions("", cfg, creds)
		if err != nil {
			return nil, fmt.Errorf("creating the ECI client: %w", err)
		}
		cl.SetConnectTimeout(opts.Timeout)
		cl.SetReadTimeout(opts.Timeout)
		c.pool <- cl
	}
	return c, nil
}

// opaqueTransport hides an *http.Transport from the SDK, which would
// otherwise modify it on every call.
type opaqueTransport struct{ rt http.RoundTripper }

func (t opaqueTransport) RoundTrip(r *http.Request) (*http.Response, error) { return t.rt.RoundTrip(r) }

// serializedCredentials guards a credentials provider that is not safe for
// concurrent use.
type serializedCredentials struct {
	mu    sync.Mutex
	inner credentials.CredentialsProvider
}

func (s *serializedCredentials) GetCredentials() (*credentials.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inner.GetCredentials()
}

func (s *serializedCredentials) GetProviderName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inner.GetProviderName()
}

type sdkClient struct {
	pool chan *sdk.Client
	opts Options
}

// endpoint returns the scheme and host for a region.
func (c *sdkClient) endpoint(region string) (scheme, host string) {
	if c.opts.Endpoint != nil {
		return c.opts.Endpoint.Scheme, c.opts.Endpoint.Host
	}
	if c.opts.Network == NetworkVPC {
		return "https", "eci-vpc." + region + ".aliyuncs.com"
	}
	return "https", "eci." + region + ".aliyuncs.com"
}

type rpcRequest interface {
	requests.AcsRequest
	SetScheme(string)
	SetDomain(string)
}

func (c *sdkClient) do(ctx context.Context, region string, req rpcRequest, resp responses.AcsResponse) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var client *sdk.Client
	select {
	case client = <-c.pool:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { c.pool <- client }()
	scheme, host := c.endpoint(region)
	req.SetScheme(scheme)
	req.SetDomain(host)
	if err := doAction(client, req, resp); err != nil {
		return classify(req.GetActionName(), err)
	}
	return nil
}

// doAction calls the SDK, turning a panic into an error: the SDK panics on
// some malformed error bodies (a non-string RequestId, found by fuzzing),
// and a bad answer must not take the manager down. Nothing is known of
// what the call did, as after a lost answer.
func doAction(client *sdk.Client, req rpcRequest, resp responses.AcsResponse) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &Error{Action: req.GetActionName(), Kind: KindTransient, Code: "MalformedResponse",
				Message: fmt.Sprintf("the answer could not be read: %v", p)}
		}
	}()
	return client.DoAction(req, resp)
}

func (c *sdkClient) CommitContainer(ctx context.Context, r CommitRequest) (CommitResult, error) {
	req := newCommitContainerRequest()
	req.RegionId = r.RegionID
	req.ContainerGroupId = r.ContainerGroupID
	req.ContainerName = r.ContainerName
	req.Image = commitImageParams(r.Image)
	if r.AcrRegistry != nil {
		req.AcrRegistryInfo = commitAcrRegistryParams{
			InstanceId: r.AcrRegistry.InstanceID,
			RegionId:   r.AcrRegistry.RegionID,
			ArnService: r.AcrRegistry.ArnService,
			ArnUser:    r.AcrRegistry.ArnUser,
		}
	}
	if r.Role != nil {
		req.Arn = commitArnParams(*r.Role)
	}
	resp := &commitContainerResponse{BaseResponse: &responses.BaseResponse{}}
	if err := c.do(ctx, r.RegionID, req, resp); err != nil {
		return CommitResult{}, err
	}
	if resp.TaskId == "" {
		// Without a task ID nothing can be tracked; treat the answer as
		// broken rather than as success.
		return CommitResult{}, &Error{Action: "CommitContainer", Kind: KindTransient, Code: "EmptyTaskId",
			Message: "the cloud accepted the commit but returned no TaskId", RequestID: resp.RequestId}
	}
	return CommitResult{TaskID: resp.TaskId, RequestID: resp.RequestId}, nil
}

func (c *sdkClient) DescribeCommitContainerTasks(ctx context.Context, r DescribeRequest) (DescribePage, error) {
	if len(r.TaskIDs) > MaxDescribeResults {
		return DescribePage{}, fmt.Errorf("DescribeCommitContainerTask takes at most %d task IDs, got %d", MaxDescribeResults, len(r.TaskIDs))
	}
	req := newDescribeCommitContainerTaskRequest()
	req.RegionId = r.RegionID
	req.ContainerGroupId = r.ContainerGroupID
	if len(r.TaskIDs) > 0 {
		ids := append([]string(nil), r.TaskIDs...)
		req.TaskId = &ids
	}
	req.TaskStatus = string(r.Status)
	if r.MaxResults > 0 {
		req.MaxResults = requests.NewInteger(r.MaxResults)
	}
	req.NextToken = r.NextToken
	resp := &describeCommitContainerTaskResponse{BaseResponse: &responses.BaseResponse{}}
	if err := c.do(ctx, r.RegionID, req, resp); err != nil {
		return DescribePage{}, err
	}
	page := DescribePage{RequestID: resp.RequestId, NextToken: resp.NextToken, TotalCount: resp.TotalCount}
	page.Tasks = make([]Task, 0, len(resp.CommitTasks))
	for _, t := range resp.CommitTasks {
		page.Tasks = append(page.Tasks, t.toTask())
	}
	return page, nil
}

func (t wireCommitTask) toTask() Task {
	task := Task{
		TaskID:        t.TaskId,
		Status:        TaskStatus(t.TaskStatus),
		Progress:      t.TaskProgress,
		Message:       t.StatusMessage,
		ContainerName: t.ContainerName,
		CreationTime:  parseTime(t.TaskCreationTime),
		FinishedTime:  parseTime(t.TaskFinishedTime),
	}
	for _, p := range t.CommitPhaseInfos {
		task.Phases = append(task.Phases, TaskPhase{
			Phase: p.Phase, Status: p.Status, Message: p.Message, RecordTime: parseTime(p.RecordTime),
		})
	}
	return task
}

// parseTime reads the cloud's RFC 3339 timestamps; an empty or malformed one
// is the zero time, since a display field must not fail a whole answer.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
