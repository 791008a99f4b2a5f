package install

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const defaultPollInterval = 250 * time.Millisecond

// waitEstablished waits until every named CRD is Established with its names accepted, i.e. until
// its objects can be created. It polls rather than watches: a handful of GETs a second is cheap,
// and a poll cannot miss an event.
func waitEstablished(ctx context.Context, client apiextensionsclient.Interface, names []string, progress io.Writer, interval time.Duration) error {
	if progress != nil {
		fmt.Fprintf(progress, "waiting for %s to be established...\n", countCRDs(len(names)))
	}
	return poll(ctx, names, interval, "to be established", func(name string) (bool, string) {
		crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		established, accepted := condition(crd, apiextensionsv1.Established), condition(crd, apiextensionsv1.NamesAccepted)
		if isTrue(established) && isTrue(accepted) {
			return true, ""
		}
		return false, describeCondition(apiextensionsv1.NamesAccepted, accepted) + ", " + describeCondition(apiextensionsv1.Established, established)
	})
}

// waitGone waits until every named CRD has been removed, calling pending (when not nil) with each
// one still there.
func waitGone(ctx context.Context, client apiextensionsclient.Interface, names []string, interval time.Duration,
	pending func(*apiextensionsv1.CustomResourceDefinition)) error {
	return poll(ctx, names, interval, "to be removed", func(name string) (bool, string) {
		crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return true, ""
		case err != nil:
			return false, err.Error()
		}
		if pending != nil {
			pending(crd)
		}
		why := "still present"
		if c := condition(crd, apiextensionsv1.Terminating); c != nil && c.Message != "" {
			why = "terminating: " + c.Message
		}
		if strings.Contains(why, "(re)initializing") {
			return false, why + " (the API server retries this cleanup with growing back-off; run the command again to keep waiting)"
		}
		return false, why + " (objects with finalizers that no controller removes keep a CRD from going away)"
	})
}

// poll calls done for every pending name until all are done or ctx ends; the error then names each
// one left and why.
func poll(ctx context.Context, names []string, interval time.Duration, goal string, done func(string) (bool, string)) error {
	if interval <= 0 {
		interval = defaultPollInterval
	}
	start := time.Now()
	pending := names
	why := map[string]string{}
	for {
		var left []string
		for _, name := range pending {
			if ctx.Err() != nil {
				left = append(left, name)
				continue
			}
			ok, reason := done(name)
			if !ok {
				left = append(left, name)
				if ctx.Err() == nil || why[name] == "" {
					why[name] = reason
				}
			}
		}
		if len(left) == 0 {
			return nil
		}
		pending = left
		if ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(interval):
				continue
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%d of %s not %s after %s:", len(left), countCRDs(len(names)), strings.TrimPrefix(goal, "to be "), time.Since(start).Round(time.Second))
		for _, name := range left {
			fmt.Fprintf(&b, "\n  - %s: %s", name, why[name])
		}
		b.WriteString("\n(--timeout sets how long to wait)")
		return fmt.Errorf("%s", b.String())
	}
}

func condition(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) *apiextensionsv1.CustomResourceDefinitionCondition {
	for i := range crd.Status.Conditions {
		if crd.Status.Conditions[i].Type == t {
			return &crd.Status.Conditions[i]
		}
	}
	return nil
}

func isTrue(c *apiextensionsv1.CustomResourceDefinitionCondition) bool {
	return c != nil && c.Status == apiextensionsv1.ConditionTrue
}

func describeCondition(t apiextensionsv1.CustomResourceDefinitionConditionType, c *apiextensionsv1.CustomResourceDefinitionCondition) string {
	if c == nil {
		return string(t) + " not reported yet"
	}
	s := fmt.Sprintf("%s=%s", t, c.Status)
	if c.Reason != "" || c.Message != "" {
		s += fmt.Sprintf(" (%s: %s)", c.Reason, c.Message)
	}
	return s
}
