package kube

// DryRun is how a change to the cluster is made, in kubectl's terms: for real, only as far as
// reading the cluster, or sent to the API server to validate without storing.
type DryRun string

// The modes of --dry-run.
const (
	DryRunNone   DryRun = "none"
	DryRunClient DryRun = "client"
	DryRunServer DryRun = "server"
)

// DryRuns are the valid modes, as --dry-run lists them.
func DryRuns() []DryRun { return []DryRun{DryRunNone, DryRunClient, DryRunServer} }

// Enabled reports whether nothing is to be changed. The zero value changes things.
func (d DryRun) Enabled() bool { return d == DryRunClient || d == DryRunServer }

// Suffix is what kubectl appends to a result line in this mode.
func (d DryRun) Suffix() string {
	switch d {
	case DryRunClient:
		return " (dry run)"
	case DryRunServer:
		return " (server dry run)"
	}
	return ""
}
