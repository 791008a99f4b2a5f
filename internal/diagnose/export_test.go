package diagnose

// GuideClasses and GKEClassPrefix let the external tests compare diagnose's provider names with
// internal/providers, which diagnose cannot import.
var (
	GuideClasses   = guideClasses
	GKEClassPrefix = gkeClassPrefix
)
