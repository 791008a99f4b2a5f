package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// cond is a condition a check expects: type and status, a reason unless any will do, and
// whether observedGeneration must equal the object's generation (gateway-api's helpers require
// it for GatewayClasses, Gateways and routes; the inference extension's pool helper does not).
type cond struct {
	typ, status, reason string
	generation          bool
}

func (c cond) String() string {
	s := c.typ + "=" + c.status
	if c.reason != "" {
		s += " reason " + c.reason
	}
	if c.generation {
		s += " at the current generation"
	}
	return s
}

// condition is what an object's status says for one condition type.
type condition struct {
	status, reason, message string
	observed                int64
	found                   bool
}

func (c condition) String() string {
	if !c.found {
		return "no such condition"
	}
	s := fmt.Sprintf("status %s reason %q observedGeneration %d", c.status, c.reason, c.observed)
	if c.message != "" {
		s += fmt.Sprintf(" message %q", c.message)
	}
	return s
}

func findCondition(conds []any, typ string) condition {
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != typ {
			continue
		}
		og, _ := m["observedGeneration"].(int64)
		str := func(k string) string { v, _ := m[k].(string); return v }
		return condition{status: str("status"), reason: str("reason"), message: str("message"), observed: og, found: true}
	}
	return condition{}
}

// meets says whether got satisfies want on an object of generation gen.
func (want cond) meets(got condition, gen int64) bool {
	return got.found && got.status == want.status && (want.reason == "" || got.reason == want.reason) &&
		(!want.generation || got.observed == gen)
}

// poll calls f every interval until it returns true or timeout passes; it then returns the last
// mismatch f described. An error that only says the deadline came (the GET cut short, or
// client-go's rate limiter refusing to wait past it) does not replace what was last seen: a
// person needs the object's state, not the clock's.
func poll(ctx context.Context, interval, timeout time.Duration, f func(ctx context.Context) (ok bool, saw string, err error)) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	var last string
	for {
		ok, saw, err := f(ctx)
		switch {
		case ok:
			return "", nil
		case err != nil && !aboutDeadline(ctx, err):
			last = err.Error()
		case err == nil:
			last = saw
		}
		select {
		case <-ctx.Done():
			if parent := context.Cause(ctx); parent != context.DeadlineExceeded {
				return last, parent
			}
			return last, errTimeout
		case <-t.C:
		}
	}
}

var errTimeout = fmt.Errorf("timed out")

// aboutDeadline says err comes from ctx running out rather than from the cluster.
func aboutDeadline(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "would exceed context deadline")
}

// objectCondition waits until the object's own status.conditions meet want (GatewayClass,
// Gateway).
func (s *Suite) objectCondition(ctx context.Context, gvr schema.GroupVersionResource, ns, name string, want cond, timeout time.Duration) error {
	saw, err := poll(ctx, s.cfg.Timeouts.GatewayObjectPollInterval, timeout, func(ctx context.Context) (bool, string, error) {
		u, err := s.get(ctx, gvr, ns, name)
		if err != nil {
			return false, "", err
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		got := findCondition(conds, want.typ)
		return want.meets(got, u.GetGeneration()), fmt.Sprintf("%s at generation %d", got, u.GetGeneration()), nil
	})
	return s.mismatch(err, fmt.Sprintf("%s %s", kindOf(gvr), nsName(ns, name)), want.String(), saw, timeout)
}

// parentCondition waits until the status.parents entry of the route or pool for Gateway gw (in
// the infra namespace, written out in parentRef.namespace) meets every want.
func (s *Suite) parentCondition(ctx context.Context, gvr schema.GroupVersionResource, name, gw string, timeout time.Duration, wants ...cond) error {
	return s.parentMatch(ctx, gvr, name, gw, timeout, wants)
}

// parentMatch is parentCondition with alternatives: the entry must meet every cond of one of
// them.
func (s *Suite) parentMatch(ctx context.Context, gvr schema.GroupVersionResource, name, gw string, timeout time.Duration, alternatives ...[]cond) error {
	var what []string
	for _, alt := range alternatives {
		var each []string
		for _, w := range alt {
			each = append(each, w.String())
		}
		what = append(what, strings.Join(each, ", "))
	}
	interval := s.cfg.Timeouts.InferencePoolMustHaveConditionInterval
	saw, err := poll(ctx, interval, timeout, func(ctx context.Context) (bool, string, error) {
		u, err := s.get(ctx, gvr, AppNamespace, name)
		if err != nil {
			return false, "", err
		}
		conds, found := parentConditions(u, gw)
		if !found {
			return false, fmt.Sprintf("no status.parents entry for Gateway %s/%s (parents: %s)", InfraNamespace, gw, parentNames(u)), nil
		}
		var saw []string
		seen := map[string]bool{}
		for _, alt := range alternatives {
			ok := true
			for _, w := range alt {
				got := findCondition(conds, w.typ)
				ok = ok && w.meets(got, u.GetGeneration())
				if !seen[w.typ] {
					seen[w.typ] = true
					saw = append(saw, fmt.Sprintf("%s: %s", w.typ, got))
				}
			}
			if ok {
				return true, "", nil
			}
		}
		return false, fmt.Sprintf("%s; generation %d", strings.Join(saw, "; "), u.GetGeneration()), nil
	})
	return s.mismatch(err, fmt.Sprintf("%s %s, parent Gateway %s/%s", kindOf(gvr), nsName(AppNamespace, name), InfraNamespace, gw),
		strings.Join(what, ", or "), saw, timeout)
}

// parentConditions returns the conditions of u's status.parents entry for Gateway gw.
func parentConditions(u *unstructured.Unstructured, gw string) ([]any, bool) {
	parents, _, _ := unstructured.NestedSlice(u.Object, "status", "parents")
	for _, p := range parents {
		m, _ := p.(map[string]any)
		ref, _ := m["parentRef"].(map[string]any)
		if ref["name"] == gw && ref["namespace"] == InfraNamespace {
			conds, _ := m["conditions"].([]any)
			return conds, true
		}
	}
	return nil, false
}

func parentNames(u *unstructured.Unstructured) string {
	parents, _, _ := unstructured.NestedSlice(u.Object, "status", "parents")
	if len(parents) == 0 {
		return "none"
	}
	var names []string
	for _, p := range parents {
		m, _ := p.(map[string]any)
		ref, _ := m["parentRef"].(map[string]any)
		ns, _ := ref["namespace"].(string)
		if ns == "" {
			ns = "(namespace unset)"
		}
		names = append(names, fmt.Sprintf("%v %s/%v", ref["kind"], ns, ref["name"]))
	}
	return strings.Join(names, ", ")
}

// poolHasNoParents waits until the pool's status.parents is empty.
func (s *Suite) poolHasNoParents(ctx context.Context, name string) error {
	timeout := s.cfg.Timeouts.InferencePoolMustHaveCondition
	saw, err := poll(ctx, s.cfg.Timeouts.InferencePoolMustHaveConditionInterval, timeout, func(ctx context.Context) (bool, string, error) {
		u, err := s.get(ctx, gvrInferencePool, AppNamespace, name)
		if err != nil {
			return false, "", err
		}
		parents, _, _ := unstructured.NestedSlice(u.Object, "status", "parents")
		return len(parents) == 0, "parents: " + parentNames(u), nil
	})
	return s.mismatch(err, "InferencePool "+nsName(AppNamespace, name), "no status.parents (no route refers to it)", saw, timeout)
}

// mismatch turns a failed wait into the message a person reads: what was expected, what the
// cluster said last, and how to look.
func (s *Suite) mismatch(err error, what, want, saw string, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	if err != errTimeout {
		return fmt.Errorf("%s: %w (last seen: %s)", what, err, saw)
	}
	return &Failure{What: what, Want: want, Saw: saw, After: timeout}
}

func nsName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// Failure is a check's assertion that did not hold within its time.
type Failure struct {
	What  string
	Want  string
	Saw   string
	After time.Duration
}

func (f *Failure) Error() string {
	if f.After == 0 {
		return fmt.Sprintf("%s:\n  want: %s\n  saw:  %s", f.What, f.Want, f.Saw)
	}
	return fmt.Sprintf("%s:\n  want: %s\n  saw:  %s (after %s)", f.What, f.Want, f.Saw, f.After)
}
