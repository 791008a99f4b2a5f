package diagnose

// What `igwctl validate` finds in one object against the CRDs igwctl embeds, in the order the
// apiserver would find it on create: decoding (unknown and duplicate fields), then validation
// (metadata, OpenAPI schema, x-kubernetes-validations). The messages are the apiserver's own.
const (
	// UnknownField: a field the CRD version's schema does not have; kubectl's default
	// --validate=strict makes the apiserver refuse the object ("strict decoding error").
	UnknownField Code = "IGW0401"
	// DuplicateField: a key given twice in one object; strict decoding refuses it too.
	DuplicateField Code = "IGW0402"
	// SchemaInvalid: the object breaks the CRD's OpenAPI schema (type, required, enum, range,
	// pattern, list size, x-kubernetes-list-type).
	SchemaInvalid Code = "IGW0403"
	// RuleFailed: an x-kubernetes-validations (CEL) rule of the CRD fails.
	RuleFailed Code = "IGW0404"
	// MetadataInvalid: the apiserver's checks of metadata (name, namespace, labels, annotations).
	MetadataInvalid Code = "IGW0405"
	// RulesNotChecked: the schema errors stop the apiserver before the CEL rules; more may come
	// once they are fixed.
	RulesNotChecked Code = "IGW0406"
	// KindNotChecked: igwctl knows no schema for the object's group; it cannot check it.
	KindNotChecked Code = "IGW0407"
	// VersionNotServed: the kind exists, but no CRD igwctl embeds serves this apiVersion.
	VersionNotServed Code = "IGW0408"
	// KindNotInGroup: the group is one igwctl knows, but it has no such kind.
	KindNotInGroup Code = "IGW0409"
	// ExperimentalOnly: the kind or version exists only in Gateway API's experimental channel,
	// and the standard channel was checked.
	ExperimentalOnly Code = "IGW0410"
	// Undecodable: the object cannot be read as the apiserver reads it (metadata that is not an
	// object, a malformed apiVersion).
	Undecodable Code = "IGW0411"
	// DeprecatedVersion: the CRD marks the apiVersion deprecated; the apiserver warns.
	DeprecatedVersion Code = "IGW0412"
	// SelectorKeyInvalid: a label key in an InferencePool's matchLabels that no pod label can
	// have; the CRD does not check keys, so the apiserver accepts it.
	SelectorKeyInvalid Code = "IGW0413"
)
