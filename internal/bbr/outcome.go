package bbr

// Outcome is how a request ended, for metrics and logs. The set is closed,
// so it is safe as a label.
type Outcome string

const (
	OutcomeRouted    Outcome = "routed"
	OutcomeNoModel   Outcome = "no_model"
	OutcomeNoBody    Outcome = "no_body"
	OutcomeUnscanned Outcome = "unscanned_passthrough"
	OutcomeRejected  Outcome = "rejected"
	// OutcomeShed: answered 503 because the held-bytes budget was full.
	OutcomeShed     Outcome = "shed"
	OutcomeCanceled Outcome = "canceled"
	OutcomeError    Outcome = "stream_error"
	OutcomeObserved Outcome = "observability_mode"
	// OutcomeUnroutable: STREAMED mode without early body, where Envoy has
	// forwarded the headers before bbr sees the body.
	OutcomeUnroutable Outcome = "unroutable_mode"
)
