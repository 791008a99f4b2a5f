package bbr

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/igw-dev/igw/internal/bbr/adapters"
	"github.com/igw-dev/igw/internal/bbr/scan"
	"github.com/igw-dev/igw/internal/bbr/wire"
)

// Header is one header bbr sets.
type Header = wire.Header

// Decision is what bbr tells the gateway once it knows enough of the body.
// The headers to remove are not in it: they are the owned headers the
// client sent, which the session knows and the policy does not.
type Decision struct {
	Set     []Header
	Model   string
	Outcome Outcome
}

// Policy maps the scanned top-level fields to headers. It is pure and shared
// by every stream; it never changes after start.
type Policy struct {
	ModelHeaders    []string
	BaseModelHeader string
	RequireModel    bool
	MaxModelLength  int
	Rules           []Rule
	// Adapters returns the current LoRA mapping, or nil when none is
	// configured.
	Adapters func() *adapters.Snapshot

	fields []string // the scanner's wanted keys: "model", then each rule's field
	owned  []string // every header bbr sets, lowercase
}

// NewPolicy checks the configuration and prepares the lists the hot path
// reads. Header names are trimmed and lowercased into copies, so the
// names bbr sets and the names it strips are one and the same, and the
// caller's slices are left as they were.
func NewPolicy(p Policy) (*Policy, error) {
	if len(p.ModelHeaders) == 0 {
		return nil, fmt.Errorf("at least one --model-header is required")
	}
	if p.MaxModelLength <= 0 {
		return nil, fmt.Errorf("--max-model-length must be positive")
	}
	p.fields = []string{"model"}
	o := owner{seen: map[string]string{}}
	p.ModelHeaders = slices.Clone(p.ModelHeaders)
	for i := range p.ModelHeaders {
		o.own(&p.ModelHeaders[i], "--model-header")
	}
	if p.BaseModelHeader != "" {
		o.own(&p.BaseModelHeader, "--base-model-header")
	}
	p.Rules = slices.Clone(p.Rules)
	for i := range p.Rules {
		o.own(&p.Rules[i].Header, "rule for field "+p.Rules[i].Field)
		p.fields = append(p.fields, p.Rules[i].Field)
	}
	if o.err != nil {
		return nil, o.err
	}
	p.owned = o.owned
	return &p, nil
}

// owner collects the headers bbr owns, normalising each name in place and
// keeping the first problem.
type owner struct {
	seen  map[string]string
	owned []string
	err   error
}

func (o *owner) own(h *string, what string) {
	name := strings.ToLower(strings.TrimSpace(*h))
	*h = name
	if o.err != nil {
		return
	}
	if err := validHeaderName(name); err != nil {
		o.err = fmt.Errorf("%s %q: %v", what, name, err)
		return
	}
	if prev, dup := o.seen[name]; dup {
		o.err = fmt.Errorf("header %q is used twice (%s and %s); give each its own header", name, prev, what)
		return
	}
	o.seen[name] = what
	o.owned = append(o.owned, name)
}

// scanLimit is the longest value any field may have; the scanner stops
// copying past it, and Decide applies each field's own limit.
func (p *Policy) scanLimit() int {
	n := p.MaxModelLength
	for _, r := range p.Rules {
		n = max(n, r.limit())
	}
	return n
}

// Fields lists the top-level keys the scanner must report.
func (p *Policy) Fields() []string { return p.fields }

// Owned lists the headers bbr sets and therefore strips from clients.
func (p *Policy) Owned() []string { return p.owned }

// Decide turns complete scan results into a decision, or a rejection.
// Headers to set are appended to set, so a caller can reuse its storage.
func (p *Policy) Decide(s *scan.Scanner, set []Header) (Decision, *Reject) {
	d := Decision{Set: set}
	m := s.Field(0)
	switch {
	case !m.Seen && p.RequireModel:
		return d, rejectf(400, CodeModelRequired, "model", "the request body has no top-level \"model\" field; this gateway requires one")
	case !m.Seen:
		d.Outcome = OutcomeNoModel
	default:
		model, rej := p.checkModel(m)
		if rej != nil {
			return d, rej
		}
		d.Model = model
		d.Outcome = OutcomeRouted
		for _, h := range p.ModelHeaders {
			d.Set = append(d.Set, Header{Key: h, Value: model})
		}
		if p.BaseModelHeader != "" && p.Adapters != nil {
			if base, ok := p.Adapters().BaseOf(model); ok {
				d.Set = append(d.Set, Header{Key: p.BaseModelHeader, Value: base})
			}
		}
	}
	for i, r := range p.Rules {
		v, rej := p.ruleValue(r, s.Field(i+1))
		if rej != nil {
			return Decision{}, rej
		}
		if v != "" {
			d.Set = append(d.Set, Header{Key: r.Header, Value: v})
		}
	}
	return d, nil
}

func (p *Policy) ruleValue(r Rule, f *scan.Field) (string, *Reject) {
	// A field cut off by a decision forced at --max-body-bytes counts as
	// absent.
	if !f.Done || f.Kind == scan.KindNull {
		if r.Required {
			return "", rejectf(400, CodeFieldRequired, r.Field, "the request body has no top-level %q field; this gateway requires one", r.Field)
		}
		return "", nil
	}
	switch f.Kind {
	case scan.KindString:
		return p.checkRuleString(r, f)
	case scan.KindNumber, scan.KindBool:
		if f.TooLong || len(f.Value) > r.limit() {
			return "", rejectf(400, CodeFieldTooLong, r.Field, "%q is longer than %d bytes", r.Field, r.limit())
		}
		return string(f.Value), nil
	}
	return "", rejectf(400, CodeFieldInvalid, r.Field, "%q must be a string, number or boolean, got %s", r.Field, f.Kind)
}

func (p *Policy) checkRuleString(r Rule, f *scan.Field) (string, *Reject) {
	if f.TooLong || len(f.Value) > r.limit() {
		return "", rejectf(400, CodeFieldTooLong, r.Field, "%q is longer than %d bytes", r.Field, r.limit())
	}
	if why := headerValueProblem(f.Value); why != "" {
		return "", rejectf(400, CodeFieldInvalid, r.Field, "%q %s", r.Field, why)
	}
	return string(f.Value), nil
}

// checkModel applies the model rules: a non-empty string that is a safe
// header value.
func (p *Policy) checkModel(f *scan.Field) (string, *Reject) {
	const name = "model"
	if f.Kind != scan.KindString {
		return "", rejectf(400, CodeModelNotString, name, "%q must be a string, got %s", name, f.Kind)
	}
	if f.TooLong || len(f.Value) > p.MaxModelLength {
		return "", rejectf(400, CodeModelTooLong, name, "%q is longer than %d bytes", name, p.MaxModelLength)
	}
	if len(f.Value) == 0 {
		return "", rejectf(400, CodeModelEmpty, name, "%q must not be empty", name)
	}
	if why := headerValueProblem(f.Value); why != "" {
		return "", rejectf(400, CodeModelInvalid, name, "%q %s", name, why)
	}
	return string(f.Value), nil
}

// headerValueProblem says why v cannot be a header value, or "". HTTP/2
// forbids NUL, CR and LF and leading or trailing whitespace; other control
// characters are refused too, since no model or routing key needs them and
// proxies disagree on them.
func headerValueProblem(v []byte) string {
	if len(v) > 0 && (isWS(v[0]) || isWS(v[len(v)-1])) {
		return "must not start or end with whitespace"
	}
	for i := 0; i < len(v); {
		if c := v[i]; c >= 0x20 && c < 0x7f {
			// Model names are ASCII: skip the rune decoder for them.
			i++
			continue
		}
		r, n := utf8.DecodeRune(v[i:])
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Sprintf("contains a control character (U+%04X)", r)
		}
		i += n
	}
	return ""
}

func isWS(b byte) bool { return b == ' ' || b == '\t' }

func validHeaderName(h string) error {
	if h == "" {
		return fmt.Errorf("empty header name")
	}
	if strings.HasPrefix(h, ":") || h == "host" || h == "content-length" || h == "transfer-encoding" {
		return fmt.Errorf("bbr cannot own a pseudo or framing header")
	}
	for _, c := range []byte(h) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return fmt.Errorf("invalid character %q in header name", c)
		}
	}
	return nil
}
