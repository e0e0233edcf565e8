// Command ecisim serves the simulated ECI endpoint on a local address, for
// trying the operator by hand without an Alibaba Cloud account.
//
//	go run ./cmd/ecisim --listen 127.0.0.1:18080 \
//	    --instance eci-bp1do4xz75fa5sdemo1=cn-hangzhou:notebook,sidecar
//
// It accepts the AccessKey pair in ECISIM_ACCESS_KEY_ID and
// ECISIM_ACCESS_KEY_SECRET (by default a fixed demo pair).
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/eci-commit-operator/eci-commit-operator/internal/ecisim"
)

type instances []ecisim.ContainerGroup

func (i *instances) String() string { return fmt.Sprint(len(*i), " instances") }

// Set parses id=region:container[,container...].
func (i *instances) Set(v string) error {
	id, rest, ok := strings.Cut(v, "=")
	region, containers, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || id == "" || region == "" || containers == "" {
		return errors.New("want id=region:container[,container...]")
	}
	*i = append(*i, ecisim.ContainerGroup{ID: id, Region: region, Status: "Running", Containers: strings.Split(containers, ",")})
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:18080", "Address to serve on.")
	phase := flag.Duration("phase-duration", 2*time.Second, "How long each of the three commit phases takes.")
	var groups instances
	flag.Var(&groups, "instance", "An ECI instance as id=region:container[,container...]; repeatable.")
	flag.Parse()

	keyID := envOr("ECISIM_ACCESS_KEY_ID", DemoAccessKeyID)
	secret := envOr("ECISIM_ACCESS_KEY_SECRET", DemoAccessKeySecret)
	sim := ecisim.New(ecisim.Options{PhaseDuration: *phase})
	sim.AddCredential(ecisim.Credential{AccessKeyID: keyID, AccessKeySecret: secret})
	for _, g := range groups {
		sim.AddContainerGroup(g)
		log.Printf("instance %s in %s with containers %v", g.ID, g.Region, g.Containers)
	}
	log.Printf("simulated ECI endpoint on http://%s (AccessKey ID %s)", *listen, keyID)
	srv := &http.Server{Addr: *listen, Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// The demo pair: not a secret, it opens nothing but this simulator.
const (
	DemoAccessKeyID     = "LTAI5tDemoAccessKeyId"
	DemoAccessKeySecret = "demo-access-key-secret"
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
