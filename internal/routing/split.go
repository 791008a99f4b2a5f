package routing

import (
	"fmt"
	"math/big"
)

// Share is one backend's part of a rule's traffic.
type Share struct {
	Backend Backend
	// Probability is weight/sum, exact and reduced ("9/10"); Percent the same as a number.
	Probability string
	Percent     float64
}

// Split is how a rule's weights divide its requests. Total 0 (no backends, or every weight 0)
// means the Gateway answers 500: the rule matched and has nowhere to send the request.
type Split struct {
	Shares []Share
	Total  int64
}

// SplitOf turns a rule's weights into exact probabilities, as the gateway spreads requests
// (weight divided by the sum of weights; a weight of 0 gets nothing).
func SplitOf(bs []Backend) Split {
	var s Split
	for _, b := range bs {
		s.Total += int64(b.Weight)
	}
	for _, b := range bs {
		sh := Share{Backend: b, Probability: "0"}
		if s.Total > 0 {
			r := big.NewRat(int64(b.Weight), s.Total)
			sh.Probability = r.RatString()
			sh.Percent, _ = new(big.Rat).Mul(r, big.NewRat(100, 1)).Float64()
		}
		s.Shares = append(s.Shares, sh)
	}
	return s
}

// PercentText is a share as a person reads it: "90%", "33.33%".
func PercentText(p float64) string {
	s := fmt.Sprintf("%.2f", p)
	for len(s) > 0 && (s[len(s)-1] == '0') {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s + "%"
}
