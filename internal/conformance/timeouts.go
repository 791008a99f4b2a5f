package conformance

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Timeouts are the upstream suite's waits, named as upstream's TimeoutConfig names them so
// --timeout-config takes the same keys as its -timeout-config-overrides.
type Timeouts struct {
	GatewayClassMustHaveCondition time.Duration
	NamespacesMustBeReady         time.Duration
	GatewayMustHaveAddress        time.Duration
	GatewayMustHaveCondition      time.Duration
	HTTPRouteMustHaveCondition    time.Duration
	RouteMustHaveParents          time.Duration
	MaxTimeToConsistency          time.Duration
	RequestTimeout                time.Duration
	DefaultTestTimeout            time.Duration
	// The inference extension's own.
	InferencePoolMustHaveCondition         time.Duration
	InferencePoolMustHaveConditionInterval time.Duration
	GatewayObjectPollInterval              time.Duration
	HTTPRouteDeletionReconciliationTimeout time.Duration
	ServiceUpdateTimeout                   time.Duration
	// EPPRoutingRetry bounds the retries of a request steered to a pod while the gateway still
	// answers 404 or 503 (a route or endpoint not programmed yet).
	EPPRoutingRetry time.Duration
	// RequiredConsecutiveSuccesses is how many answers in a row must match before a changed
	// route counts as consistent.
	RequiredConsecutiveSuccesses int
}

// DefaultTimeouts are upstream's: the inference extension's values where it sets its own,
// gateway-api's otherwise.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		GatewayClassMustHaveCondition:          180 * time.Second,
		NamespacesMustBeReady:                  300 * time.Second,
		GatewayMustHaveAddress:                 180 * time.Second,
		GatewayMustHaveCondition:               180 * time.Second,
		HTTPRouteMustHaveCondition:             300 * time.Second,
		RouteMustHaveParents:                   300 * time.Second,
		MaxTimeToConsistency:                   300 * time.Second,
		RequestTimeout:                         10 * time.Second,
		DefaultTestTimeout:                     600 * time.Second,
		InferencePoolMustHaveCondition:         300 * time.Second,
		InferencePoolMustHaveConditionInterval: time.Second,
		GatewayObjectPollInterval:              time.Second,
		HTTPRouteDeletionReconciliationTimeout: 5 * time.Second,
		ServiceUpdateTimeout:                   10 * time.Second,
		EPPRoutingRetry:                        2 * time.Minute,
		RequiredConsecutiveSuccesses:           3,
	}
}

// TimeoutKeys are the keys --timeout-config knows, sorted.
func TimeoutKeys() []string {
	t := reflect.TypeFor[Timeouts]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i] = t.Field(i).Name
	}
	slices.Sort(keys)
	return keys
}

// Set parses one override, KEY=DURATION (RequiredConsecutiveSuccesses=N takes a count).
func (t *Timeouts) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("%q: write KEY=DURATION, e.g. MaxTimeToConsistency=60s", kv)
	}
	f := reflect.ValueOf(t).Elem().FieldByName(k)
	if !f.IsValid() || !slices.Contains(TimeoutKeys(), k) {
		return fmt.Errorf("unknown timeout %q; known: %s", k, strings.Join(TimeoutKeys(), ", "))
	}
	if f.Kind() == reflect.Int {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%s=%q: want a count of 1 or more", k, v)
		}
		f.SetInt(int64(n))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("%s=%q: want a positive duration such as 30s", k, v)
	}
	f.SetInt(int64(d))
	return nil
}

func (t Timeouts) successes() int { return max(1, t.RequiredConsecutiveSuccesses) }
