package main

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// benchModel is the model every request names.
const benchModel = "meta-llama/Llama-3.1-8B-Instruct"

// prose is the user message the body is padded with. It has newlines and
// quotes so the JSON carries \n and \" escapes, which the scanner must step
// through the way it does in real chat traffic; plain ASCII letters alone
// would flatter it.
const prose = `Please review the following incident summary and suggest what the on-call engineer should do next.
The gateway started returning 503s at 02:14 UTC, shortly after the "canary" deployment of the router.
Latency on the model servers stayed flat, so the problem is probably in front of them.
One operator wrote: "the new pods never became ready, yet traffic was sent to them anyway."
Another noted that retries doubled the load on the healthy replicas within a few minutes.

`

// buildBody returns an OpenAI chat completion request of exactly size bytes
// (or the smallest valid body, when size is below that), with "model" as the
// first or the last top-level field. Where "model" sits decides how much of
// the body bbr must read, and hold, before it can answer the headers.
func buildBody(size int, modelLast bool) []byte {
	const msgStart, msgEnd = `"messages":[{"role":"user","content":"`, `"}],"max_tokens":128`
	modelField := `"model":` + strconv.Quote(benchModel)
	var prefix, suffix string
	if modelLast {
		prefix, suffix = "{"+msgStart, msgEnd+","+modelField+"}"
	} else {
		prefix, suffix = "{"+modelField+","+msgStart, msgEnd+"}"
	}
	n := max(size-len(prefix)-len(suffix), 0)
	b := make([]byte, 0, len(prefix)+n+len(suffix))
	b = append(b, prefix...)
	b = append(b, fillContent(n)...)
	return append(b, suffix...)
}

// fillContent returns n bytes of JSON string content (escaped, without the
// quotes) made of repeated prose.
func fillContent(n int) []byte {
	unit, _ := json.Marshal(prose) // no <, > or & in prose, so no \u escapes
	unit = unit[1 : len(unit)-1]
	out := make([]byte, 0, n+len(unit))
	for len(out) < n {
		out = append(out, unit...)
	}
	out = out[:n]
	// A cut may split an escape; a trailing lone backslash would escape
	// the closing quote.
	if trailingBackslashes(out)%2 == 1 {
		out[n-1] = ' '
	}
	return out
}

func trailingBackslashes(b []byte) int {
	k := 0
	for i := len(b) - 1; i >= 0 && b[i] == '\\'; i-- {
		k++
	}
	return k
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted, or 0 when it is empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sortDurations(d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
}

// parseSize reads "1KiB", "100Ki", "10MiB" or a plain byte count.
func parseSize(s string) (int, error) {
	t := strings.TrimSpace(s)
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"Ki", 1 << 10}, {"Mi", 1 << 20}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(t))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("body size %q: want a positive size like 1KiB, 100KiB, 1MiB or 4096", s)
	}
	return n * mult, nil
}

func parseSizes(list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := parseSize(s)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// formatSize is the inverse of parseSize for the table.
func formatSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
