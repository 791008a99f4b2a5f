package requestpath

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	diag "github.com/igw-dev/igw/internal/diagnose"
)

// The model server pods: selected and Ready, listening on each target port, speaking the model
// server protocol on /metrics.

func (w *poolWalk) podsStep() Step {
	const name = "model server pods selected and Ready"
	if why := unlisted(w.s, gkPod, w.ns); why != "" {
		return notRun(name, why)
	}
	fs := w.fs.about("InferencePool", w.ns, w.name, diag.PoolSelectsNoPods, diag.PoolPodsNotReady, diag.PoolMixedModelServers)
	var notReady []string
	for _, pp := range w.p.Pods {
		if !podReady(pp.Pod) {
			notReady = append(notReady, pp.Pod.Name)
		}
	}
	st := fromFindings(name, fmt.Sprintf("%d pods, %d Ready", len(w.p.Pods), len(w.p.Pods)-len(notReady)), fs)
	if st.Status == Passed && len(notReady) > 0 {
		st.Notes = append(st.Notes, "not Ready, so they get no traffic: "+someOf(notReady))
	}
	return st
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// someOf names up to three and counts the rest.
func someOf(items []string) string {
	if len(items) <= 3 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:3], ", "), len(items)-3)
}

// answer is one pod's answer on one port.
type answer struct {
	pod  diag.PodPath
	resp *PodResponse
	err  error
}

// portSteps check, per target port, that the Ready pods answer on it and serve the model server
// metrics, with one GET of the metrics path per pod and port through the pod getter.
func (w *poolWalk) portSteps(ctx context.Context) []Step {
	var steps []Step
	for _, t := range w.p.Spec.TargetPorts {
		port := int32(t.Number)
		m := w.metricsSource(port)
		listen := fmt.Sprintf("pods listen on port %d (through the API server's pod proxy)", port)
		metrics := fmt.Sprintf("pods serve the model server's metrics on port %d", m.port)
		why := w.podsUnreachable()
		if why != "" {
			steps = append(steps, notRun(listen, why), notRun(metrics, why))
			continue
		}
		answers := w.getAll(ctx, port, m.path)
		if err := forbidden(answers); err != nil {
			why := "RBAC forbids get pods/proxy: " + strings.TrimPrefix(err.Error(), ErrForbidden.Error()+": ")
			steps = append(steps, notRun(listen, why), notRun(metrics, why))
			continue
		}
		steps = append(steps, w.listenStep(listen, port, answers))
		if m.port != port {
			answers = w.getAll(ctx, m.port, m.path)
		}
		steps = append(steps, w.metricsStep(metrics, m, answers))
	}
	return steps
}

// podsUnreachable says why no pod can be asked, "" when some can.
func (w *poolWalk) podsUnreachable() string {
	switch {
	case unlisted(w.s, gkPod, w.ns) != "":
		return unlisted(w.s, gkPod, w.ns)
	case w.in.Pods == nil:
		return "no way to reach the pods was given"
	case len(w.readyPods()) == 0:
		return "no Ready pod with an IP to ask"
	}
	return ""
}

func (w *poolWalk) readyPods() []diag.PodPath {
	var out []diag.PodPath
	for _, pp := range w.p.Pods {
		if podReady(pp.Pod) && pp.Pod.Status.PodIP != "" {
			out = append(out, pp)
		}
	}
	return out
}

// getAll asks every Ready pod for path on port, several at once.
func (w *poolWalk) getAll(ctx context.Context, port int32, path string) []answer {
	pods := w.readyPods()
	out := make([]answer, len(pods))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, pp := range pods {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			resp, err := w.in.Pods.GetPod(ctx, pp.Pod, port, path)
			out[i] = answer{pod: pp, resp: resp, err: err}
		})
	}
	wg.Wait()
	return out
}

func forbidden(answers []answer) error {
	for _, a := range answers {
		if errors.Is(a.err, ErrForbidden) {
			return a.err
		}
	}
	return nil
}

func (w *poolWalk) listenStep(name string, port int32, answers []answer) Step {
	var failures []string
	for _, a := range answers {
		if a.err != nil {
			failures = append(failures, fmt.Sprintf("pod %s (%s): %v", a.pod.Pod.Name, a.pod.Pod.Status.PodIP, a.err))
		}
	}
	if len(failures) == 0 {
		st := passed(name, fmt.Sprintf("%d of %d Ready pods answer", len(answers), len(answers)))
		for _, f := range w.fs.mentioning(fmt.Sprintf("targetPort %d ", port), diag.PoolTargetPortNotExposed) {
			if f.Object.Namespace == w.ns && f.Object.Name == w.name {
				st.Notes = append(st.Notes, f.Message+" ["+string(f.Code)+"]")
			}
		}
		return st
	}
	fix := fmt.Sprintf("make the model server listen on port %d (vLLM: --port %d), or set the pool's targetPorts to the port it listens on", port, port)
	if len(failures) == len(answers) {
		fix += "; if no pod of any pool answers, the API server may have no route to pod IPs (a private control plane): kubectl port-forward to a pod tells the two apart"
	}
	st := failed(name, fmt.Sprintf("%d of %d Ready pods do not answer: %s", len(failures), len(answers), failures[0]), fix)
	if len(failures) > 1 {
		st.Notes = failures[1:min(len(failures), 4)]
	}
	return st
}
