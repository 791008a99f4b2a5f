package top

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/internal/cmdutil"
	"github.com/igw-dev/igw/internal/fleet"
)

// output is a snapshot as the command prints it: its fields for JSON and YAML, a table of
// pods as text, one row per pod as kubectl top prints them.
type output struct{ fleet.Snapshot }

// MarshalJSON is the snapshot's own JSON: scripts read the same fields a recording holds.
func (o output) MarshalJSON() ([]byte, error) { return json.Marshal(o.Snapshot) }

func (o output) WriteText(w io.Writer) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tPOOL\tPOD\tNODE\tREADY\tKV-CACHE\tWAITING\tRUNNING\tLORA\tREQ/S\tTOKENS/S\tAGE\tERROR")
	for _, p := range o.Pools {
		for _, pod := range p.Pods {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Namespace, p.Name, pod.Name, dash(pod.Node),
				yesNo(pod.Ready), kv(pod.Sample), gauge(pod.Sample, func(s *fleet.Sample) *float64 { return s.Waiting }),
				gauge(pod.Sample, func(s *fleet.Sample) *float64 { return s.Running }), lora(pod.Sample),
				number(pod.Rates.Requests), number(pod.Rates.GenerationTokens), sampleAge(pod), podError(pod))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// tabwriter pads every cell but the last, so a row without an error would end in spaces.
	var out strings.Builder
	for line := range strings.Lines(b.String()) {
		out.WriteString(strings.TrimRight(line, " \n") + "\n")
	}
	_, err := io.WriteString(w, out.String())
	return err
}

// writeStream prints one snapshot of --watch: a JSON object on one line, a YAML document, or a
// table after a blank line.
func writeStream(w io.Writer, f cmdutil.Format, s fleet.Snapshot) error {
	switch f {
	case cmdutil.JSON:
		return json.NewEncoder(w).Encode(s)
	case cmdutil.YAML:
		b, err := yaml.Marshal(s)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "---\n%s", b)
		return err
	}
	if _, err := fmt.Fprintf(w, "\n# %s\n", s.Time.Format(time.RFC3339)); err != nil {
		return err
	}
	return output{s}.WriteText(w)
}

// summary is the line on stderr that says what the printed snapshot covers.
func summary(s fleet.Snapshot) string {
	pods := 0
	for _, p := range s.Pools {
		pods += len(p.Pods)
	}
	msg := fmt.Sprintf("%s in %s (%s): %s", plural(len(s.Pools), "InferencePool"), s.Scope, s.Source, plural(pods, "pod"))
	if len(s.Errors) > 0 {
		msg += "; " + strings.Join(s.Errors, "; ")
	}
	return msg + "."
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func kv(s *fleet.Sample) string {
	if s == nil || s.KVCache == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", *s.KVCache*100)
}

func gauge(s *fleet.Sample, get func(*fleet.Sample) *float64) string {
	if s == nil {
		return "-"
	}
	return number(get(s))
}

func number(f *float64) string {
	if f == nil {
		return "-"
	}
	if *f == float64(int64(*f)) {
		return fmt.Sprintf("%d", int64(*f))
	}
	return fmt.Sprintf("%.1f", *f)
}

func lora(s *fleet.Sample) string {
	if s == nil || s.LoRA == nil {
		return "-"
	}
	return fmt.Sprintf("%d/%d/%d", len(s.LoRA.Running), len(s.LoRA.Waiting), s.LoRA.Max)
}

func sampleAge(p fleet.Pod) string {
	if p.Sample == nil {
		return "-"
	}
	return time.Duration(p.Age).Round(100 * time.Millisecond).String()
}

func podError(p fleet.Pod) string {
	if p.Error == "" {
		return ""
	}
	if p.Stale {
		return "stale: " + p.Error
	}
	return p.Error
}
