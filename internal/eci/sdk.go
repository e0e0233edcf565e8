package eci

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
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
	cfg := sdk.NewConfig().
		WithScheme("HTTPS").
		// CommitContainer is not idempotent: a blind retry after a timeout can
		// create a second task. Retries are the caller's decision.
		WithAutoRetry(false).
		WithTimeout(opts.Timeout)
	cfg.Transport = opts.Transport
	var creds credentials.CredentialsProvider = opts.Credentials
	if creds == nil {
		creds = credentials.NewDefaultCredentialsProvider()
	}
	c, err := sdk.NewClientWithOptions("", cfg, creds)
	if err != nil {
		return nil, fmt.Errorf("creating the ECI client: %w", err)
	}
	c.SetConnectTimeout(opts.Timeout)
	c.SetReadTimeout(opts.Timeout)
	return &sdkClient{sdk: c, opts: opts}, nil
}

type sdkClient struct {
	sdk  *sdk.Client
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
	scheme, host := c.endpoint(region)
	req.SetScheme(scheme)
	req.SetDomain(host)
	if err := c.sdk.DoAction(req, resp); err != nil {
		return classify(req.GetActionName(), err)
	}
	return nil
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

// ParsePercent returns the number in a progress string such as "50%", or -1.
func ParsePercent(progress string) int {
	n, err := strconv.Atoi(trimPercent(progress))
	if err != nil {
		return -1
	}
	return n
}

func trimPercent(s string) string {
	if len(s) > 0 && s[len(s)-1] == '%' {
		return s[:len(s)-1]
	}
	return s
}
