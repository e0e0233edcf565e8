// Package ecisim is a simulated Alibaba Cloud ECI endpoint for tests, the
// demo and benchmarks. It speaks the RPC wire protocol of the public API
// reference (query parameters, HMAC-SHA1 signatures, JSON answers and error
// bodies), knows a set of container groups, runs commit tasks through their
// phases on a clock, and injects faults on request. It counts every call so
// that tests can assert on what the operator did.
//
// It shares no code with the operator's client on purpose: it must catch the
// client's mistakes, not repeat them.
package ecisim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// APIVersion is the ECI API version the simulator serves.
const APIVersion = "2018-08-08"

// Commit task phases, in the order the cloud runs them.
var taskPhases = []string{"PullBaseImage", "CommitContainer", "PushCommittedImage"}

// Credential is an AccessKey pair the simulator accepts. A non-empty
// SecurityToken makes it an STS credential: requests must carry the token.
type Credential struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// ContainerGroup is a simulated ECI instance.
type ContainerGroup struct {
	ID     string
	Region string
	// Status is the instance state; commits need "Running".
	Status string
	// Containers are the names of its containers.
	Containers []string
	// FailAtPhase, when set to one of the task phases, makes every commit of
	// this instance fail in that phase with FailMessage.
	FailAtPhase string
	FailMessage string
	// PhaseDuration, when set, replaces the server's for this instance's tasks.
	PhaseDuration time.Duration
	// UnsupportedVolume makes CommitContainer answer InvalidVolumeType.
	UnsupportedVolume bool
	// CommitUnsupported makes CommitContainer answer InvalidAction.
	CommitUnsupported bool
}

// Fault is an error answer injected in place of the real one.
type Fault struct {
	// Action limits the fault to one API action; empty matches every action.
	Action string
	// Code, HTTPStatus and Message make the error body.
	Code       string
	HTTPStatus int
	Message    string
	// DropResponse makes the call take effect and then closes the
	// connection without an answer, like a response lost on the network.
	// Code, HTTPStatus and Message are ignored.
	DropResponse bool
	// DropRequest closes the connection without applying the call, like a
	// request lost on its way. Code, HTTPStatus and Message are ignored.
	DropRequest bool
	// HideFor keeps a task that the call creates out of
	// DescribeCommitContainerTask answers for a while, like a cloud whose
	// read side lags its write side.
	HideFor time.Duration
	// Times is how many calls get the fault; 0 means one.
	Times int
}

// Task is the simulator's record of a commit task: the truth tests compare
// the operator's status with.
type Task struct {
	ID               string
	Region           string
	ContainerGroupID string
	ContainerName    string
	Repository       string
	Tag              string
	Params           url.Values
	Created          time.Time
	hiddenUntil      time.Time
	phaseDuration    time.Duration
	failAtPhase      string
	failMessage      string
}

// Options configures a Server.
type Options struct {
	// PhaseDuration is how long each of the three task phases takes.
	PhaseDuration time.Duration
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// MaxClockSkew is how far a request's Timestamp may be from the clock.
	MaxClockSkew time.Duration
	// RateLimit, when positive, is the calls per second the endpoint serves
	// per AccessKey before it answers Throttling.User, like the cloud's flow
	// control; RateBurst is its bucket size (default 1).
	RateLimit float64
	RateBurst int
}

// Server is the simulated endpoint. Its zero value is not usable: call New.
type Server struct {
	opts Options

	mu       sync.Mutex
	creds    map[string]Credential
	groups   map[string]*ContainerGroup
	tasks    map[string]*Task
	order    []string
	faults   []Fault
	latency  time.Duration
	calls    map[string]int
	errors   map[string]int
	nonces   map[string]time.Time
	seq      int
	dropped  int
	limiters map[string]*rate.Limiter

	oidcRoles map[string]OIDCRole
	issued    []Credential

	describedIDs int
	chaos        *chaos
	injected     map[string]int
}

// New returns a simulator with no credentials, instances or tasks.
func New(opts Options) *Server {
	if opts.PhaseDuration <= 0 {
		opts.PhaseDuration = time.Second
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxClockSkew <= 0 {
		opts.MaxClockSkew = 15 * time.Minute
	}
	return &Server{
		opts:   opts,
		creds:  map[string]Credential{},
		groups: map[string]*ContainerGroup{},
		tasks:  map[string]*Task{},
		calls:  map[string]int{},
		errors: map[string]int{},
		nonces: map[string]time.Time{},

		injected: map[string]int{},
		limiters: map[string]*rate.Limiter{},

		oidcRoles: map[string]OIDCRole{},
	}
}

// AddCredential makes the simulator accept an AccessKey pair.
func (s *Server) AddCredential(c Credential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds[c.AccessKeyID] = c
}

// AddContainerGroup adds or replaces an instance.
func (s *Server) AddContainerGroup(g ContainerGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.Containers = append([]string(nil), g.Containers...)
	s.groups[g.ID] = &g
}

// SetContainerGroupStatus changes an instance's state, such as to "Stopped".
func (s *Server) SetContainerGroupStatus(id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.groups[id]; ok {
		g.Status = status
	}
}

// Inject queues a fault; queued faults are served first come, first served.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// SetLatency delays every answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Calls returns how many requests for action arrived, answered or not.
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[action]
}

// DescribedTaskIDs returns how many task IDs DescribeCommitContainerTask
// calls named in all.
func (s *Server) DescribedTaskIDs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.describedIDs
}

// ErrorAnswers returns how many error answers with code were sent.
func (s *Server) ErrorAnswers(code string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errors[code]
}

// Tasks returns every task created so far, oldest first.
func (s *Server) Tasks() []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Task, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, *s.tasks[id])
	}
	return out
}

// TaskState returns a task's state as DescribeCommitContainerTask reports it now.
func (s *Server) TaskState(id string) (status, progress string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[id]
	if !ok {
		return "", "", false
	}
	v := s.view(t)
	return v.TaskStatus, v.TaskProgress, true
}

// apiError is an error answer of the simulated API.
type apiError struct {
	status  int
	code    string
	message string
}

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// ServeHTTP answers one RPC call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	if err := r.ParseForm(); err != nil {
		writeError(w, requestID, errorf(http.StatusBadRequest, "InvalidParameter", "the request could not be parsed: %v", err))
		return
	}
	params := r.Form
	action := params.Get("Action")

	s.mu.Lock()
	s.calls[action]++
	latency := s.latency + s.chaos.latency()
	s.mu.Unlock()
	if latency > 0 {
		time.Sleep(latency)
	}

	body, drop, apiErr := s.handle(r.Method, action, params)
	if drop {
		s.dropResponse(w)
		return
	}
	if apiErr != nil {
		s.mu.Lock()
		s.errors[apiErr.code]++
		s.mu.Unlock()
		writeError(w, requestID, apiErr)
		return
	}
	body["RequestId"] = requestID
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_ = json.NewEncoder(w).Encode(body)
}

// handle authenticates and runs a call. drop says the answer must be lost.
func (s *Server) handle(method, action string, params url.Values) (body map[string]any, drop bool, err *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if action == "AssumeRoleWithOIDC" {
		body, err = s.assumeRoleWithOIDC(params)
		return body, false, err
	}
	if err := s.authenticate(method, params); err != nil {
		return nil, false, err
	}
	if s.opts.RateLimit > 0 && !s.limiter(params.Get("AccessKeyId")).Allow() {
		s.injected["RateLimited"]++
		return nil, false, errorf(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
	}
	fault, faulty := s.takeFault(action)
	switch {
	case faulty && fault.DropRequest:
		s.injected["DropRequest"]++
		return nil, true, nil
	case faulty && fault.DropResponse:
		s.injected["DropResponse"]++
	case faulty:
		s.injected[fault.Code]++
		return nil, false, fault.answer()
	}
	if v := params.Get("Version"); v != APIVersion {
		return nil, faulty, errorf(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid: %q", v)
	}
	if f := params.Get("Format"); f != "" && f != "JSON" {
		return nil, faulty, errorf(http.StatusBadRequest, "InvalidParameter", "Format %q is not valid: only JSON is served", f)
	}
	switch action {
	case "CommitContainer":
		body, err = s.commitContainer(params, fault.HideFor)
	case "DescribeCommitContainerTask":
		body, err = s.describeCommitContainerTask(params)
	default:
		err = errorf(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
	return body, faulty && fault.DropResponse, err
}

// limiter returns the flow-control bucket of an AccessKey; the caller holds
// the lock.
func (s *Server) limiter(keyID string) *rate.Limiter {
	l, ok := s.limiters[keyID]
	if !ok {
		l = rate.NewLimiter(rate.Limit(s.opts.RateLimit), max(s.opts.RateBurst, 1))
		s.limiters[keyID] = l
	}
	return l
}

// dropResponse closes the connection without writing an answer.
func (s *Server) dropResponse(w http.ResponseWriter) {
	s.mu.Lock()
	s.dropped++
	s.mu.Unlock()
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// DroppedResponses returns how many answers were dropped on purpose.
func (s *Server) DroppedResponses() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// authenticate checks the signature and the common parameters of a call.
func (s *Server) authenticate(method string, params url.Values) *apiError {
	for _, p := range []string{"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"} {
		if params.Get(p) == "" {
			return errorf(http.StatusBadRequest, "MissingParameter", "The input parameter %q that is mandatory for processing this request is not supplied.", p)
		}
	}
	if params.Get("SignatureMethod") != "HMAC-SHA1" || params.Get("SignatureVersion") != "1.0" {
		return errorf(http.StatusBadRequest, "InvalidParameter", "SignatureMethod %q with SignatureVersion %q is not supported",
			params.Get("SignatureMethod"), params.Get("SignatureVersion"))
	}
	cred, ok := s.creds[params.Get("AccessKeyId")]
	if !ok {
		return errorf(http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
	}
	toSign := stringToSign(method, params)
	if subtle.ConstantTimeCompare([]byte(sign(cred.AccessKeySecret, toSign)), []byte(params.Get("Signature"))) != 1 {
		return errorf(http.StatusBadRequest, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:%s", toSign)
	}
	if cred.SecurityToken != "" && params.Get("SecurityToken") != cred.SecurityToken {
		return errorf(http.StatusBadRequest, "InvalidSecurityToken.MismatchWithAccessKey", "Specified SecurityToken is not valid for this access key.")
	}
	ts, err := time.Parse("2006-01-02T15:04:05Z", params.Get("Timestamp"))
	if err != nil {
		return errorf(http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.")
	}
	now := s.opts.Clock()
	if d := now.Sub(ts); d > s.opts.MaxClockSkew || d < -s.opts.MaxClockSkew {
		return errorf(http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
	}
	nonce := params.Get("SignatureNonce")
	if _, seen := s.nonces[nonce]; seen {
		return errorf(http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already.")
	}
	s.nonces[nonce] = now
	s.forgetOldNonces(now)
	return nil
}

// forgetOldNonces drops nonces older than the timestamp window: a replay of
// them fails the timestamp check anyway. It keeps memory bounded in long runs.
func (s *Server) forgetOldNonces(now time.Time) {
	if len(s.nonces) < 100000 {
		return
	}
	for n, at := range s.nonces {
		if now.Sub(at) > 2*s.opts.MaxClockSkew {
			delete(s.nonces, n)
		}
	}
}

// takeFault returns the first queued fault for action, if any, using it up,
// or else a random one when chaos is on.
func (s *Server) takeFault(action string) (Fault, bool) {
	for i := range s.faults {
		f := s.faults[i]
		if f.Action != "" && f.Action != action {
			continue
		}
		s.faults[i].Times--
		if s.faults[i].Times == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f, true
	}
	return s.chaos.fault(action)
}

// ForgetTask deletes a task, as if the cloud had lost it.
func (s *Server) ForgetTask(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tasks, id)
	s.order = slices.DeleteFunc(s.order, func(o string) bool { return o == id })
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Injected returns how many faults of each kind were served: error codes,
// "DropRequest", "DropResponse", and "RateLimited" for flow control.
func (s *Server) Injected() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.injected))
	for k, v := range s.injected {
		out[k] = v
	}
	return out
}

func (f Fault) answer() *apiError {
	status := f.HTTPStatus
	if status == 0 {
		status = http.StatusInternalServerError
	}
	msg := f.Message
	if msg == "" {
		msg = "injected fault " + f.Code
	}
	return &apiError{status: status, code: f.Code, message: msg}
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"RequestId": requestID,
		"HostId":    "eci.simulated.local",
		"Code":      e.code,
		"Message":   e.message,
		"Recommend": "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.code),
	})
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%X-%X-%X-%X-%X", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
