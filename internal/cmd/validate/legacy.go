package validate

import (
	"strings"

	"github.com/igw-dev/igw/internal/convert"
	"github.com/igw-dev/igw/internal/diagnose"
	"github.com/igw-dev/igw/internal/manifest"
)

// withLegacyFixes names the v1 spelling in the fix of each error about an alpha spelling. The
// schema sees only a field it does not know ("unknown field spec.extensionRef") or one that is
// missing ("spec.targetPorts: Required value"); guides still print the alpha names, so the user
// needs the name to write instead, and the command that rewrites it.
func withLegacyFixes(fs diagnose.Findings, objs []manifest.Object) {
	for _, o := range objs {
		src := o.Source.String()
		for _, l := range convert.LegacySpellings(o.Unstructured) {
			if !l.Rejected {
				continue // valid in its own API version; diagnose's analyzers speak of those
			}
			for i := range fs {
				if fs[i].Source == src && aboutField(fs[i].Message, l.Path) {
					fs[i].Fix = legacyFix(fs[i].Fix, l, o.Source.File)
				}
			}
		}
	}
}

// aboutField reports whether a schema message is about path or a field below it, as the
// apiserver quotes unknown fields: `unknown field "spec.selector.app"`.
func aboutField(message, path string) bool {
	return strings.Contains(message, `"`+path+`"`) || strings.Contains(message, `"`+path+`.`)
}

// legacyFix replaces the schema's generic fix with the v1 spelling; a second spelling of the
// same field (an extensionRef without a port gives the rename and the port) joins the first.
func legacyFix(prev string, l convert.Legacy, file string) string {
	use := "write " + l.Use
	if strings.HasPrefix(prev, "write ") {
		use = strings.TrimSuffix(prev, convertHint(file)) + "; " + l.Use
	}
	if l.Convertible {
		use += convertHint(file)
	}
	return use
}

func convertHint(file string) string {
	return "; `igwctl convert -f " + file + "` rewrites the file"
}
