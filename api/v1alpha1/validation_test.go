package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	eciv1 "github.com/eci-commit-operator/eci-commit-operator/api/v1alpha1"
	"github.com/eci-commit-operator/eci-commit-operator/internal/testenv"
)

// These tests send manifests to a real kube-apiserver with the generated CRD
// installed: the schema and CEL rules are what is under test.

var k8s client.Client

func TestMain(m *testing.M) {
	env, cfg, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s, err = testenv.NewClient(cfg)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

func valid(name string) *eciv1.ContainerCommit {
	return &eciv1.ContainerCommit{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: eciv1.ContainerCommitSpec{
			RegionID:         "cn-hangzhou",
			ContainerGroupID: "eci-bp1do4xz75fa5sd0001",
			ContainerName:    "container-1",
			Image: eciv1.ImageSpec{
				Repository: "registry-vpc.cn-hangzhou.aliyuncs.com/team/app",
				Tag:        "0.0.6",
				Message:    "test commit",
				Author:     "alice",
			},
		},
	}
}

func TestValidManifestsAreAccepted(t *testing.T) {
	cases := map[string]func(*eciv1.ContainerCommit){
		"personal edition": func(*eciv1.ContainerCommit) {},
		"international vpc": func(c *eciv1.ContainerCommit) {
			c.Spec.Image.Repository = "registry-intl-vpc.ap-southeast-1.aliyuncs.com/ns/repo"
		},
		"new personal instance": func(c *eciv1.ContainerCommit) {
			c.Spec.Image.Repository = "crpi-abc123.cn-hangzhou.personal.cr.aliyuncs.com/ns/repo"
		},
		"no tag and no region":    func(c *eciv1.ContainerCommit) { c.Spec.Image.Tag = ""; c.Spec.RegionID = "" },
		"enterprise with info":    enterprise,
		"custom domain with info": func(c *eciv1.ContainerCommit) { enterprise(c); c.Spec.Image.Repository = "images.example.com/ns/repo" },
		"role": func(c *eciv1.ContainerCommit) {
			c.Spec.Arn = &eciv1.RoleAuthorization{RoleArn: "acs:ram::1609982529000000:role/role-test", RoleType: eciv1.RoleTypeService}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			obj := valid("ok-" + strings.ReplaceAll(name, " ", "-"))
			mutate(obj)
			if err := k8s.Create(context.Background(), obj); err != nil {
				t.Fatalf("valid manifest rejected: %v", err)
			}
		})
	}
}

func enterprise(c *eciv1.ContainerCommit) {
	c.Spec.Image.Repository = "myreg-registry-vpc.cn-hangzhou.cr.aliyuncs.com/ns/repo"
	c.Spec.AcrRegistryInfo = &eciv1.AcrRegistryInfo{
		InstanceID: "cri-nwj395hgf6f30001", RegionID: "cn-hangzhou",
		ArnService: "acs:ram::1609982529000000:role/role-test", ArnUser: "acs:ram::1298452580000000:role/role-test",
	}
}

func TestInvalidManifestsAreRejectedWithClearMessages(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*eciv1.ContainerCommit)
		want   []string
	}{
		{"missing target", func(c *eciv1.ContainerCommit) { c.Spec.ContainerGroupID = "" },
			[]string{"spec", "exactly one of spec.containerGroupId and spec.podRef"}},
		{"bad TTL", func(c *eciv1.ContainerCommit) { ttl := int32(-1); c.Spec.TTLSecondsAfterFinished = &ttl },
			[]string{"spec.ttlSecondsAfterFinished", "greater than or equal to 0"}},
		{"bad container group", func(c *eciv1.ContainerCommit) { c.Spec.ContainerGroupID = "i-bp1abc" },
			[]string{"spec.containerGroupId", "must be an ECI instance ID"}},
		{"bad region", func(c *eciv1.ContainerCommit) { c.Spec.RegionID = "Hangzhou" },
			[]string{"spec.regionId", "Alibaba Cloud region ID"}},
		{"missing container name", func(c *eciv1.ContainerCommit) { c.Spec.ContainerName = "" },
			[]string{"spec.containerName", "lowercase letters, digits"}},
		{"bad container name", func(c *eciv1.ContainerCommit) { c.Spec.ContainerName = "App_1" },
			[]string{"spec.containerName", "lowercase letters, digits"}},
		{"repository with tag", func(c *eciv1.ContainerCommit) { c.Spec.Image.Repository += ":v1" },
			[]string{"spec.image.repository", "without a tag or digest"}},
		{"repository without namespace", func(c *eciv1.ContainerCommit) { c.Spec.Image.Repository = "registry.cn-hangzhou.aliyuncs.com/app" },
			[]string{"spec.image.repository", "<registry host>/<namespace>/<repository>"}},
		{"docker hub repository", func(c *eciv1.ContainerCommit) { c.Spec.Image.Repository = "docker.io/library/nginx" },
			[]string{"spec.image.repository", "must be an ACR repository"}},
		{"enterprise without registry info", func(c *eciv1.ContainerCommit) {
			c.Spec.Image.Repository = "myreg-registry.cn-hangzhou.cr.aliyuncs.com/ns/repo"
		}, []string{"spec", "needs spec.acrRegistryInfo"}},
		{"bad tag", func(c *eciv1.ContainerCommit) { c.Spec.Image.Tag = "-latest" },
			[]string{"spec.image.tag", "must start with a letter, digit or '_'"}},
		{"tag too long", func(c *eciv1.ContainerCommit) { c.Spec.Image.Tag = strings.Repeat("a", 129) },
			[]string{"spec.image.tag", "128"}},
		{"bad ACR instance", func(c *eciv1.ContainerCommit) { enterprise(c); c.Spec.AcrRegistryInfo.InstanceID = "nope" },
			[]string{"spec.acrRegistryInfo.instanceId", "cri- followed by"}},
		{"bad role ARN", func(c *eciv1.ContainerCommit) {
			c.Spec.Arn = &eciv1.RoleAuthorization{RoleArn: "arn:aws:iam::1:role/x"}
		}, []string{"spec.arn.roleArn", "must be a RAM role ARN"}},
		{"bad role type", func(c *eciv1.ContainerCommit) {
			c.Spec.Arn = &eciv1.RoleAuthorization{RoleArn: "acs:ram::1:role/x", RoleType: "user"}
		}, []string{"spec.arn.roleType", `supported values: "service"`}},
		{"bad grantee ARN", func(c *eciv1.ContainerCommit) { enterprise(c); c.Spec.AcrRegistryInfo.ArnService = "role-test" },
			[]string{"spec.acrRegistryInfo.arnService", "must be a RAM role ARN"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := valid(fmt.Sprintf("bad-%d", i))
			tc.mutate(obj)
			err := k8s.Create(context.Background(), obj)
			if err == nil {
				t.Fatal("invalid manifest accepted")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestSpecIsImmutableButStatusIsNot(t *testing.T) {
	ctx := context.Background()
	obj := valid("immutable")
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	changed := obj.DeepCopy()
	changed.Spec.Image.Tag = "0.0.7"
	err := k8s.Update(ctx, changed)
	if err == nil || !strings.Contains(err.Error(), "spec is immutable") {
		t.Fatalf("spec update: want an immutability error, got %v", err)
	}

	obj.Status.Phase = eciv1.PhaseRunning
	obj.Status.TaskID = "t-123"
	if err := k8s.Status().Update(ctx, obj); err != nil {
		t.Fatalf("status update rejected: %v", err)
	}
	obj.Labels = map[string]string{"team": "a"}
	if err := k8s.Update(ctx, obj); err != nil {
		t.Fatalf("metadata update rejected: %v", err)
	}
}

func TestRecordedTaskIDIsNeverReplacedWithinAnAttempt(t *testing.T) {
	ctx := context.Background()
	obj := valid("task-id-immutable")
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	obj.Status.TaskID = "t-first"
	if err := k8s.Status().Update(ctx, obj); err != nil {
		t.Fatalf("recording a task ID: %v", err)
	}
	obj.Status.TaskID = "t-second"
	err := k8s.Status().Update(ctx, obj)
	if err == nil || !strings.Contains(err.Error(), "status.taskId cannot change within an attempt") {
		t.Fatalf("replacing the task ID: want a rejection, got %v", err)
	}
	obj.Status.TaskID = ""
	if err := k8s.Status().Update(ctx, obj); err == nil {
		t.Fatal("clearing the task ID within an attempt was accepted")
	}
	obj.Status.Attempt = 1
	obj.Status.TaskID = ""
	if err := k8s.Status().Update(ctx, obj); err != nil {
		t.Fatalf("a new attempt without a task: %v", err)
	}
}

func TestSelectableFieldsFilterLists(t *testing.T) {
	ctx := context.Background()
	obj := valid("selectable")
	obj.Spec.ContainerGroupID = "eci-selectable0001"
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	var list eciv1.ContainerCommitList
	obj.Status.ContainerGroupID = "eci-selectable0001"
	if err := k8s.Status().Update(ctx, obj); err != nil {
		t.Fatal(err)
	}
	if err := k8s.List(ctx, &list, client.MatchingFields{"status.containerGroupId": "eci-selectable0001"}); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != "selectable" {
		t.Fatalf("field selector returned %d items", len(list.Items))
	}
}

func TestExactlyOneOfContainerGroupAndPod(t *testing.T) {
	both := valid("both-targets")
	both.Spec.PodRef = &eciv1.PodReference{Name: "notebook-0"}
	err := k8s.Create(context.Background(), both)
	if err == nil || !strings.Contains(err.Error(), "exactly one of spec.containerGroupId and spec.podRef") {
		t.Fatalf("both: %v", err)
	}
	neither := valid("no-target")
	neither.Spec.ContainerGroupID = ""
	err = k8s.Create(context.Background(), neither)
	if err == nil || !strings.Contains(err.Error(), "exactly one of spec.containerGroupId and spec.podRef") {
		t.Fatalf("neither: %v", err)
	}
	pod := valid("pod-target")
	pod.Spec.ContainerGroupID = ""
	pod.Spec.PodRef = &eciv1.PodReference{Name: "notebook-0"}
	if err := k8s.Create(context.Background(), pod); err != nil {
		t.Fatalf("podRef alone: %v", err)
	}
}
