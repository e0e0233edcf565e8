package eci_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eci-commit-operator/eci-commit-operator/internal/eci"
	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
)

func TestClientSetSignsWithEachCredentialAndStaysBounded(t *testing.T) {
	sim, endpoint := newSim(t)
	sim.AddCredential(ecisim.Credential{AccessKeyID: "STS.team-a", AccessKeySecret: "a-secret", SecurityToken: "a-token"})
	wrapped := 0
	set, err := eci.NewClientSet(eci.Options{Endpoint: endpoint, Timeout: 5 * time.Second}, func(c eci.Client) eci.Client { wrapped++; return c }, 2)
	if err != nil {
		t.Fatal(err)
	}
	sts := eci.Credentials{AccessKeyID: "STS.team-a", AccessKeySecret: "a-secret", SecurityToken: "a-token"}
	c, err := set.For(sts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CommitContainer(context.Background(), commitRequest()); err != nil {
		t.Fatalf("STS credentials: %v", err)
	}
	if again, _ := set.For(sts); again != c {
		t.Error("the same credentials built a second client")
	}
	wrong, _ := set.For(eci.Credentials{AccessKeyID: testKeyID, AccessKeySecret: "rotated"})
	if _, err := wrong.CommitContainer(context.Background(), commitRequest()); eci.AsError(err).Code != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %v", err)
	}
	for i := range 5 {
		if _, err := set.For(eci.Credentials{AccessKeyID: fmt.Sprint("id-", i), AccessKeySecret: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	if set.Len() != 2 {
		t.Errorf("%d clients kept, want the bound of 2", set.Len())
	}
	if wrapped != 1+1+1+5 {
		t.Errorf("wrap called %d times, want once per client built", wrapped)
	}
	if set.Default() == nil {
		t.Error("no default client")
	}
}

func TestCredentialsNeverPrintTheirSecret(t *testing.T) {
	c := eci.Credentials{AccessKeyID: "LTAI-id", AccessKeySecret: "the-secret", SecurityToken: "the-token"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), c.Identity()} {
		if strings.Contains(s, "the-secret") || strings.Contains(s, "the-token") {
			t.Errorf("leaked: %s", s)
		}
	}
	rotated := c
	rotated.AccessKeySecret = "new-secret"
	if c.Identity() == rotated.Identity() {
		t.Error("rotation kept the identity")
	}
}
