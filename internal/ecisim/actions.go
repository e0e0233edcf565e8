package ecisim

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// acrHost matches the registry hosts of ACR Personal and Enterprise Editions.
var acrHost = regexp.MustCompile(`^(registry(-intl)?(-vpc)?\.[a-z0-9-]+\.aliyuncs\.com|crpi-[a-z0-9]+(-vpc)?\.[a-z0-9-]+\.personal\.cr\.aliyuncs\.com|[a-z0-9-]+-registry(-vpc)?\.[a-z0-9-]+\.cr\.aliyuncs\.com)$`)

func missing(name string) *apiError {
	return errorf(http.StatusBadRequest, "MissingParameter",
		"The input parameter %q that is mandatory for processing this request is not supplied.", name)
}

func invalid(name, value string) *apiError {
	return errorf(http.StatusBadRequest, "InvalidParameter", "%s %q is not valid", name, value)
}

func (s *Server) commitContainer(p url.Values, hideFor time.Duration) (map[string]any, *apiError) {
	for _, name := range []string{"RegionId", "ContainerGroupId", "ContainerName", "Image.Repository"} {
		if p.Get(name) == "" {
			return nil, missing(name)
		}
	}
	region, groupID, container, repo := p.Get("RegionId"), p.Get("ContainerGroupId"), p.Get("ContainerName"), p.Get("Image.Repository")
	g, ok := s.groups[groupID]
	if !ok || g.Region != region {
		return nil, invalid("ContainerGroupId", groupID)
	}
	if !slices.Contains(g.Containers, container) {
		return nil, invalid("ContainerName", container)
	}
	host, _, _ := strings.Cut(repo, "/")
	if !acrHost.MatchString(host) && p.Get("AcrRegistryInfo.InstanceId") == "" {
		return nil, invalid("Image.Repository", repo)
	}
	if rt := p.Get("Arn.RoleType"); rt != "" && rt != "service" {
		return nil, invalid("Arn.RoleType", rt)
	}
	if g.UnsupportedVolume {
		return nil, errorf(http.StatusForbidden, "InvalidVolumeType", "The container group mounts a volume type that does not support commit.")
	}
	if g.CommitUnsupported {
		return nil, errorf(http.StatusForbidden, "InvalidAction", "The container group does not support this action.")
	}
	if g.Status != "Running" {
		return nil, errorf(http.StatusForbidden, "IncorrectStatusDetail",
			"The current status of the resource does not support this operation: container group %s is %s.", groupID, g.Status)
	}
	s.seq++
	t := &Task{
		ID:               fmt.Sprintf("t-sim%017d", s.seq),
		Region:           region,
		ContainerGroupID: groupID,
		ContainerName:    container,
		Repository:       repo,
		Tag:              p.Get("Image.Tag"),
		Params:           cloneValues(p),
		Created:          s.opts.Clock(),
		hiddenUntil:      s.opts.Clock().Add(hideFor),
		phaseDuration:    cmp.Or(g.PhaseDuration, s.opts.PhaseDuration),
		failAtPhase:      g.FailAtPhase,
		failMessage:      g.FailMessage,
	}
	s.tasks[t.ID] = t
	s.order = append(s.order, t.ID)
	return map[string]any{"TaskId": t.ID}, nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func (s *Server) describeCommitContainerTask(p url.Values) (map[string]any, *apiError) {
	region := p.Get("RegionId")
	if region == "" {
		return nil, missing("RegionId")
	}
	var wanted []string
	for i := 1; ; i++ {
		id := p.Get("TaskId." + strconv.Itoa(i))
		if id == "" {
			break
		}
		wanted = append(wanted, id)
	}
	s.describedIDs += len(wanted)
	groupID := p.Get("ContainerGroupId")
	if len(wanted) == 0 && groupID == "" {
		return nil, missing("ContainerGroupId")
	}
	maxResults := 10
	if v := p.Get("MaxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return nil, invalid("MaxResults", v)
		}
		maxResults = n
	}
	status := p.Get("TaskStatus")
	if status != "" && status != "Running" && status != "Succeeded" && status != "Failed" {
		return nil, invalid("TaskStatus", status)
	}
	offset := 0
	if tok := p.Get("NextToken"); tok != "" {
		n, err := decodeToken(tok)
		if err != nil {
			return nil, invalid("NextToken", tok)
		}
		offset = n
	}

	var matched []taskView
	ids := s.order
	if len(wanted) > 0 {
		ids = wanted
	}
	for _, id := range ids {
		t, ok := s.tasks[id]
		if !ok || t.Region != region || (groupID != "" && t.ContainerGroupID != groupID) || s.opts.Clock().Before(t.hiddenUntil) {
			continue
		}
		v := s.view(t)
		if status != "" && v.TaskStatus != status {
			continue
		}
		matched = append(matched, v)
	}
	total := len(matched)
	if offset > total {
		offset = total
	}
	end := min(offset+maxResults, total)
	nextToken := ""
	if end < total {
		nextToken = encodeToken(end)
	}
	return map[string]any{
		"TotalCount":  total,
		"MaxResults":  strconv.Itoa(maxResults),
		"NextToken":   nextToken,
		"CommitTasks": matched[offset:end],
	}, nil
}

func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func decodeToken(tok string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(string(b), "offset:")
	if !ok {
		return 0, fmt.Errorf("not a token")
	}
	return strconv.Atoi(n)
}

// taskView is a task as DescribeCommitContainerTask shows it.
type taskView struct {
	TaskID           string      `json:"TaskId"`
	TaskStatus       string      `json:"TaskStatus"`
	TaskProgress     string      `json:"TaskProgress"`
	StatusMessage    string      `json:"StatusMessage"`
	ContainerName    string      `json:"ContainerName"`
	TaskCreationTime string      `json:"TaskCreationTime"`
	TaskFinishedTime string      `json:"TaskFinishedTime,omitempty"`
	CommitPhaseInfos []phaseView `json:"CommitPhaseInfos"`
}

type phaseView struct {
	Phase      string `json:"Phase"`
	Status     string `json:"Status"`
	Message    string `json:"Message"`
	RecordTime string `json:"RecordTime"`
}

// view derives a task's state from its age: each phase takes PhaseDuration,
// and a scripted failure ends the task in its phase.
func (s *Server) view(t *Task) taskView {
	elapsed := s.opts.Clock().Sub(t.Created)
	d := t.phaseDuration
	v := taskView{
		TaskID:           t.ID,
		TaskStatus:       "Running",
		ContainerName:    t.ContainerName,
		TaskCreationTime: t.Created.UTC().Format(time.RFC3339),
		CommitPhaseInfos: []phaseView{},
	}
	done := 0
	for i, phase := range taskPhases {
		end := time.Duration(i+1) * d
		if elapsed < end {
			break
		}
		recorded := t.Created.Add(end)
		if phase == t.failAtPhase {
			v.CommitPhaseInfos = append(v.CommitPhaseInfos, phaseView{
				Phase: phase, Status: "Failed", Message: t.failMessage, RecordTime: recorded.Format(time.RFC3339Nano),
			})
			v.TaskStatus = "Failed"
			v.StatusMessage = t.failMessage
			v.TaskFinishedTime = recorded.UTC().Format(time.RFC3339)
			v.TaskProgress = progress(done)
			return v
		}
		done++
		v.CommitPhaseInfos = append(v.CommitPhaseInfos, phaseView{
			Phase: phase, Status: "Success",
			Message:    fmt.Sprintf("%s for container %s successfully", phase, t.ContainerName),
			RecordTime: recorded.Format(time.RFC3339Nano),
		})
	}
	v.TaskProgress = progress(done)
	switch {
	case done == len(taskPhases):
		v.TaskStatus = "Succeeded"
		v.StatusMessage = "Commit container " + t.ContainerName + " succeeded"
		v.TaskFinishedTime = t.Created.Add(time.Duration(done) * d).UTC().Format(time.RFC3339)
	case done < len(taskPhases):
		v.StatusMessage = "Commit container " + t.ContainerName + ": " + taskPhases[done]
	}
	return v
}

func progress(done int) string {
	return strconv.Itoa(done*100/len(taskPhases)) + "%"
}
