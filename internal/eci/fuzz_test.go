package eci_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"

	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
)

// FuzzCommitParametersAreSentVerbatim sends hostile text in every free-text
// parameter through the real SDK to the simulator, which re-derives the
// signature from what it received: each value must arrive as one
// parameter, unchanged, correctly signed.
func FuzzCommitParametersAreSentVerbatim(f *testing.F) {
	for _, seed := range [][3]string{
		{"a message", "alice", "v1"},
		{"a&b=c", "x=y&z", "1.0"},
		{"line one\nline two\r\n", "tab\tand space", "_tag-1.2"},
		{"ünïcödé 提交 🚀", "José", "v2"},
		{"100% *done* ~ok~ +plus+", "%zz%2F", "t"},
		{"Image.Tag=evil&Action=DeleteContainerGroup", "AccessKeyId=other", "x"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	sim := ecisim.New(ecisim.Options{PhaseDuration: time.Hour})
	sim.AddCredential(ecisim.Credential{AccessKeyID: testKeyID, AccessKeySecret: testKeySecret})
	sim.AddContainerGroup(ecisim.ContainerGroup{ID: groupID, Region: region, Status: "Running", Containers: []string{"app"}})
	srv := httptest.NewServer(sim)
	f.Cleanup(srv.Close)
	endpoint, _ := url.Parse(srv.URL)
	c, err := eci.NewClient(eci.Options{Endpoint: endpoint, Credentials: credentials.NewStaticAKCredentialsProvider(testKeyID, testKeySecret), Timeout: 5 * time.Second})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, message, author, tag string) {
		// The wire carries UTF-8 text; the API has no way to send other bytes.
		if !utf8.ValidString(message) || !utf8.ValidString(author) || !utf8.ValidString(tag) {
			t.Skip()
		}
		req := eci.CommitRequest{RegionID: region, ContainerGroupID: groupID, ContainerName: "app",
			Image: eci.Image{Repository: "registry.cn-hangzhou.aliyuncs.com/ns/app", Tag: tag, Message: message, Author: author}}
		res, err := c.CommitContainer(context.Background(), req)
		if err != nil {
			t.Fatalf("a valid request was refused: %v", err)
		}
		var sent ecisim.Task
		for _, task := range sim.Tasks() {
			if task.ID == res.TaskID {
				sent = task
			}
		}
		for name, want := range map[string]string{"Image.Message": message, "Image.Author": author, "Image.Tag": tag, "Action": "CommitContainer", "ContainerName": "app"} {
			got, present := sent.Params[name]
			switch {
			case want == "" && present:
				t.Errorf("%s sent although empty", name)
			case want != "" && (len(got) != 1 || got[0] != want):
				t.Errorf("%s arrived as %q, want %q", name, got, want)
			}
		}
	})
}

// FuzzDescribeAnswersNeverPanic feeds arbitrary bodies and status codes to
// the client as the cloud's answer: it must return a result or an error,
// never panic.
func FuzzDescribeAnswersNeverPanic(f *testing.F) {
	for _, seed := range []struct {
		status int
		body   string
	}{
		{200, `{"RequestId":"R","TotalCount":1,"MaxResults":"50","CommitTasks":[{"TaskId":"t-1","TaskStatus":"Running","TaskCreationTime":"2023-03-06T08:22:40Z","CommitPhaseInfos":[{"Phase":"PullBaseImage","RecordTime":"2023-01-05T14:06:40.920005316+08:00"}]}]}`},
		{200, `{"CommitTasks":null}`},
		{200, `{"CommitTasks":[{"TaskCreationTime":12,"CommitPhaseInfos":"x"}]}`},
		{200, `not json`},
		{400, `{"RequestId":"R","Code":"Throttling.User","Message":"slow down"}`},
		{500, ``},
		{404, `{"Code":null}`},
		{200, `{"TotalCount":"many","MaxResults":50}`},
	} {
		f.Add(seed.status, []byte(seed.body))
	}
	var (
		mu     sync.Mutex
		status int
		body   []byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	f.Cleanup(srv.Close)
	endpoint, _ := url.Parse(srv.URL)
	c, err := eci.NewClient(eci.Options{Endpoint: endpoint, Credentials: credentials.NewStaticAKCredentialsProvider(testKeyID, testKeySecret), Timeout: 5 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, code int, answer []byte) {
		if code < 200 || code > 599 {
			t.Skip()
		}
		mu.Lock()
		status, body = code, answer
		mu.Unlock()
		page, err := c.DescribeCommitContainerTasks(context.Background(), eci.DescribeRequest{RegionID: region, TaskIDs: []string{"t-1"}})
		if err == nil && code >= 400 {
			t.Errorf("HTTP %d answered without an error: %+v", code, page)
		}
		if err != nil {
			_ = eci.AsError(err).Error()
		}
	})
}
