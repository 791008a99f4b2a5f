package validate

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/operation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/features"
	"k8s.io/apiserver/pkg/storage/names"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	kjson "sigs.k8s.io/json"

	"github.com/igw-dev/igw/internal/diagnose"
)

// defaultNamespace is where kubectl puts a namespaced object whose manifest names none (the
// kubeconfig context's namespace, "default" without one). Only the checks see it.
const defaultNamespace = "default"

// create runs what the apiserver runs on a create of a custom resource, in its order, on a copy
// of the document: strict decoding (unknown and duplicate fields), defaulting, then validation of
// metadata, schema, list types and CEL rules. Every step calls the apiextensions-apiserver
// package the apiserver calls, so the messages are the apiserver's.
func create(ctx context.Context, v *crdVersion, raw []byte) []Problem {
	c, err := v.schemas()
	if err != nil {
		return []Problem{{Code: diagnose.Undecodable, Severity: diagnose.Error, Stage: StageDecode,
			Message: fmt.Sprintf("igwctl cannot check %s: its embedded CRD: %v", v.gvk, err)}}
	}
	u, problems, ok := decode(v, c, raw)
	if !ok {
		return problems
	}
	structuraldefaulting.Default(u.Object, c.structural)
	prepareForCreate(v, u)
	return append(problems, validateCreate(ctx, v, c, u)...)
}

// decode is the apiserver's strict JSON decoding of a custom resource (kubectl's default
// --validate=strict sends fieldValidation=Strict): duplicate keys from the JSON decoder, then
// the fields the structural schema prunes, in metadata and elsewhere. ok is false when the object
// cannot be decoded at all; the apiserver answers 400 then and validates nothing.
func decode(v *crdVersion, c *compiled, raw []byte) (u *unstructured.Unstructured, problems []Problem, ok bool) {
	m := map[string]any{}
	strictErrs, err := kjson.UnmarshalStrict(raw, &m)
	if err != nil {
		return nil, []Problem{undecodable(err)}, false
	}
	for _, e := range strictErrs {
		problems = append(problems, Problem{Code: diagnose.DuplicateField, Severity: diagnose.Error, Stage: StageDecode,
			Field: duplicatePath(e.Error()), Message: e.Error()})
	}
	u = &unstructured.Unstructured{Object: m}
	unknown, err := coerce(u, c.structural)
	if err != nil {
		return nil, append(problems, undecodable(err)), false
	}
	for _, path := range unknown {
		problems = append(problems, Problem{Code: diagnose.UnknownField, Severity: diagnose.Error, Stage: StageDecode,
			Field: path, Message: fmt.Sprintf("unknown field %q", path)})
	}
	return u, problems, true
}

func undecodable(err error) Problem {
	return Problem{Code: diagnose.Undecodable, Severity: diagnose.Error, Stage: StageDecode, Message: err.Error()}
}

// coerce is the apiserver's unstructuredSchemaCoercer.apply for a request body: it reads
// metadata as ObjectMeta (reporting fields ObjectMeta lacks), prunes what the schema does not
// declare, drops nulls the schema does not allow, coerces embedded objects' metadata, and writes
// kind, apiVersion and the cleaned metadata back. It returns the unknown fields' paths.
func coerce(u *unstructured.Unstructured, s *structuralschema.Structural) ([]string, error) {
	kind, foundKind, err := unstructured.NestedString(u.Object, "kind")
	if err != nil {
		return nil, err
	}
	apiVersion, foundAPIVersion, err := unstructured.NestedString(u.Object, "apiVersion")
	if err != nil {
		return nil, err
	}
	meta, foundMeta, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return nil, err
	}
	opts := structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}
	unknown = append(unknown, structuralpruning.PruneWithOptions(u.Object, s, true, opts)...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, s)
	ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, u.Object, s, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		return nil, ferr
	}
	unknown = append(unknown, paths...)
	if foundKind {
		u.SetKind(kind)
	}
	if foundAPIVersion {
		u.SetAPIVersion(apiVersion)
	}
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, meta); err != nil {
			return nil, err
		}
	}
	return unknown, nil
}

// prepareForCreate does what the apiserver does between decoding and validating: the request's
// namespace fills an empty one (kubectl sends the context's), a cluster-scoped object loses its
// namespace, generateName becomes a name, and status is dropped where the CRD has a status
// subresource (create cannot set it).
func prepareForCreate(v *crdVersion, u *unstructured.Unstructured) {
	switch {
	case v.namespaced && u.GetNamespace() == "":
		u.SetNamespace(defaultNamespace)
	case !v.namespaced:
		u.SetNamespace("")
	}
	if u.GetName() == "" && u.GetGenerateName() != "" {
		u.SetName(names.SimpleNameGenerator.GenerateName(u.GetGenerateName()))
	}
	if v.status {
		delete(u.Object, "status")
	}
}

// validateCreate is the custom resource strategy's Validate: metadata, the OpenAPI schema,
// embedded objects' metadata, list-type invariants, then the CEL rules unless an earlier error
// blocks them, with the apiserver's per-call and per-request cost limits.
func validateCreate(ctx context.Context, v *crdVersion, c *compiled, u *unstructured.Unstructured) []Problem {
	var problems []Problem
	var all field.ErrorList
	add := func(code diagnose.Code, errs field.ErrorList) {
		all = append(all, errs...)
		problems = append(problems, fromFieldErrors(code, errs)...)
	}
	add(diagnose.MetadataInvalid, validateMetadata(v, u))
	add(diagnose.SchemaInvalid, apiservervalidation.ValidateCustomResource(nil, u.UnstructuredContent(), c.schema))
	add(diagnose.MetadataInvalid, schemaobjectmeta.Validate(ctx, nil, u.Object, c.structural, false))
	add(diagnose.SchemaInvalid, structurallisttype.ValidateListSetsAndMaps(nil, c.structural, u.Object))
	if c.cel == nil {
		return problems
	}
	if blocking(all) {
		e := field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		return append(problems, Problem{Code: diagnose.RulesNotChecked, Severity: diagnose.Info, Stage: StageValidate, Message: e.ErrorBody()})
	}
	errs, _ := c.cel.Validate(ctx, nil, c.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
	return append(problems, fromFieldErrors(diagnose.RuleFailed, errs)...)
}

// validateMetadata is the strategy's metadata check on create: a name that is a DNS subdomain, a
// namespace where the kind needs one, valid labels, annotations, finalizers and owner references.
func validateMetadata(v *crdVersion, u *unstructured.Unstructured) field.ErrorList {
	path := field.NewPath("metadata")
	meta := &metav1.ObjectMeta{}
	if raw, ok := u.Object["metadata"].(map[string]any); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, meta); err != nil {
			return field.ErrorList{field.Invalid(path, raw, err.Error())}
		}
	}
	beta := utilfeature.DefaultFeatureGate.Enabled(features.DeclarativeValidationBeta)
	return metavalidation.ValidateObjectMetaDeclaratively(context.Background(), operation.Create, meta, nil, v.namespaced, metavalidation.NameIsDNSSubdomain, path, beta)
}

// blocking reports whether errs hold one of the kinds that make the apiserver skip CEL rules
// (their inputs may be of the wrong type or size): unsupported enum values, missing required
// fields, too long, too many, wrong type.
func blocking(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}

func fromFieldErrors(code diagnose.Code, errs field.ErrorList) []Problem {
	out := make([]Problem, 0, len(errs))
	for _, e := range errs {
		out = append(out, Problem{Code: code, Severity: diagnose.Error, Stage: StageValidate, Field: e.Field, Message: message(e), Type: e.Type})
	}
	return out
}

// message is the error as the apiserver prints it ("field: detail"), without the empty field of
// an error about the whole object.
func message(e *field.Error) string {
	if e.Field == "" {
		return e.ErrorBody()
	}
	return e.Error()
}

// duplicatePath is the path in a strict decoding error `duplicate field "spec.x"`.
func duplicatePath(msg string) string {
	_, quoted, ok := strings.Cut(msg, " ")
	if !ok {
		return ""
	}
	_, quoted, _ = strings.Cut(quoted, " ")
	if p, err := strconv.Unquote(quoted); err == nil {
		return p
	}
	return ""
}
