// Command standin puts objects on a cluster without controllers (the project's test bed) the
// way they look on a working one: it creates them, then writes what the missing controllers
// would (Gateway, route and pool conditions, Deployment replicas, pods Running and Ready with an
// IP, EndpointSlices), with internal/testbed/standin. For trying igwctl diagnose and verify by
// hand, and for the README's examples:
//
//	eval "$(hack/testbed.sh start)"
//	bin/igwctl install crds && kubectl apply -f testdata/crds/standins.yaml
//	go run ./hack/standin -f testdata/diagnose/ok/istio -pod-ip "$POD_IP" -serve "$POD_IP:8000"
//
// The API server's pod proxy refuses loopback pod IPs, so POD_IP is an address of this machine,
// or, with the API server in a network namespace of its own, one added to that namespace's
// loopback (the README's "try it without a cluster" shows how).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/igw-dev/igw/internal/testbed/standin"
)

func main() {
	var files multi
	flag.Var(&files, "f", "file or directory of objects to apply (repeatable)")
	podIP := flag.String("pod-ip", "", "the IP of every pod: not loopback, which the API server's pod proxy refuses, and where it reaches -serve")
	gwAddr := flag.String("gateway-address", "", "the address written in each Gateway's status (default 10.96.0.100)")
	serve := flag.String("serve", "", "after applying, serve a stand-in vLLM model server on HOST:PORT until interrupted")
	busy := flag.Bool("busy", false, "with -serve: numbers that move (a one-minute wave of load, growing token and request counters) for igwctl top")
	flag.Parse()
	switch {
	case len(files) == 0 && *serve == "":
		log.Fatal("name the objects to apply with -f, or a model server to run with -serve")
	case len(files) > 0:
		apply(files, *podIP, *gwAddr)
	}
	if *serve != "" {
		h := standin.ModelServer(standin.VLLMMetrics)
		if *busy {
			h = standin.ModelServerFunc(standin.BusyVLLM(time.Now(), 0))
		}
		log.Fatal(http.ListenAndServe(*serve, h))
	}
}

func apply(files []string, podIP, gwAddr string) {
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	if err != nil {
		log.Fatal(err)
	}
	objs, err := standin.Load(files...)
	if err != nil {
		log.Fatal(err)
	}
	o := standin.Options{GatewayAddress: gwAddr, SkipUnserved: true}
	if podIP != "" {
		o.PodIP = func(string, string) string { return podIP }
	}
	c, err := standin.New(cfg, o)
	if err != nil {
		log.Fatal(err)
	}
	a, err := c.Apply(context.Background(), objs)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("applied %d objects (%d skipped: kind not served)\n", len(a.Objects), len(a.Skipped))
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
