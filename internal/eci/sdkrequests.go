package eci

import (
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
)

// The SDK's eci package has no commit APIs; these types add them in its own
// style. The SDK flattens a Struct field as <Parent>.<GoFieldName>, so the Go
// field names of the nested types are the wire names and must not change.

//nolint:revive // field names are wire names
type commitContainerRequest struct {
	*requests.RpcRequest
	RegionId         string                  `position:"Query" name:"RegionId"`
	ContainerGroupId string                  `position:"Query" name:"ContainerGroupId"`
	ContainerName    string                  `position:"Query" name:"ContainerName"`
	Image            commitImageParams       `position:"Query" name:"Image" type:"Struct"`
	AcrRegistryInfo  commitAcrRegistryParams `position:"Query" name:"AcrRegistryInfo" type:"Struct"`
	Arn              commitArnParams         `position:"Query" name:"Arn" type:"Struct"`
}

type commitImageParams struct {
	Repository string
	Tag        string
	Message    string
	Author     string
}

//nolint:revive // field names are wire names
type commitAcrRegistryParams struct {
	InstanceId string
	RegionId   string
	ArnService string
	ArnUser    string
}

type commitArnParams struct {
	RoleArn  string
	RoleType string
}

//nolint:revive // field names are wire names
type commitContainerResponse struct {
	*responses.BaseResponse
	RequestId string `json:"RequestId"`
	TaskId    string `json:"TaskId"`
}

func newCommitContainerRequest() *commitContainerRequest {
	r := &commitContainerRequest{RpcRequest: &requests.RpcRequest{}}
	r.InitWithApiInfo("Eci", apiVersion, "CommitContainer", "eci", "openAPI")
	return r
}

//nolint:revive // field names are wire names
type describeCommitContainerTaskRequest struct {
	*requests.RpcRequest
	RegionId         string           `position:"Query" name:"RegionId"`
	ContainerGroupId string           `position:"Query" name:"ContainerGroupId"`
	TaskId           *[]string        `position:"Query" name:"TaskId" type:"Repeated"`
	TaskStatus       string           `position:"Query" name:"TaskStatus"`
	MaxResults       requests.Integer `position:"Query" name:"MaxResults"`
	NextToken        string           `position:"Query" name:"NextToken"`
}

// describeCommitContainerTaskResponse mirrors the documented answer. The
// cloud sends MaxResults as a string and TotalCount as a number.
//
//nolint:revive // field names are wire names
type describeCommitContainerTaskResponse struct {
	*responses.BaseResponse
	RequestId   string           `json:"RequestId"`
	TotalCount  int              `json:"TotalCount"`
	NextToken   string           `json:"NextToken"`
	MaxResults  string           `json:"MaxResults"`
	CommitTasks []wireCommitTask `json:"CommitTasks"`
}

//nolint:revive // field names are wire names
type wireCommitTask struct {
	TaskId           string            `json:"TaskId"`
	TaskStatus       string            `json:"TaskStatus"`
	TaskProgress     string            `json:"TaskProgress"`
	StatusMessage    string            `json:"StatusMessage"`
	ContainerName    string            `json:"ContainerName"`
	TaskCreationTime string            `json:"TaskCreationTime"`
	TaskFinishedTime string            `json:"TaskFinishedTime"`
	CommitPhaseInfos []wireCommitPhase `json:"CommitPhaseInfos"`
}

type wireCommitPhase struct {
	Phase      string `json:"Phase"`
	Status     string `json:"Status"`
	Message    string `json:"Message"`
	RecordTime string `json:"RecordTime"`
}

func newDescribeCommitContainerTaskRequest() *describeCommitContainerTaskRequest {
	r := &describeCommitContainerTaskRequest{RpcRequest: &requests.RpcRequest{}}
	r.InitWithApiInfo("Eci", apiVersion, "DescribeCommitContainerTask", "eci", "openAPI")
	return r
}
