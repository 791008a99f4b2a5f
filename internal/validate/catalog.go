package validate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apimachinery/pkg/version"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/igw-dev/igw/config"
)

// catalog is every served version of the CRDs of one selection of embedded manifests, indexed
// the way a request finds its handler: by group, version and kind.
type catalog struct {
	versions map[schema.GroupVersionKind]*crdVersion
	// kinds lists each group's kinds, for "no such kind" and "did you mean".
	kinds map[string][]string
}

// crdVersion is one served version of one CRD. Its schema is compiled on first use: a run that
// checks only InferencePools never compiles HTTPRoute's hundreds of CEL rules.
type crdVersion struct {
	gvk        schema.GroupVersionKind
	namespaced bool
	// status: the CRD has a status subresource, so create drops status before validating.
	status     bool
	deprecated bool
	warning    string // the CRD's deprecationWarning, if any
	source     *apiextensionsv1.CustomResourceValidation

	once     sync.Once
	compiled *compiled
	err      error
}

// compiled is what the apiserver builds for a CRD version before serving it: the structural
// schema (defaults pruned, as the apiserver prunes them), the OpenAPI validator and the CEL
// validator with every x-kubernetes-validations rule compiled.
type compiled struct {
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	// cel is nil when the schema has no rules.
	cel *cel.Validator
}

// loadCatalog reads the CRDs of the sets. Other documents in them (Gateway API ships a
// ValidatingAdmissionPolicy beside its CRDs) are not CRDs and are left out.
func loadCatalog(sets ...config.Set) (*catalog, error) {
	c := &catalog{versions: map[schema.GroupVersionKind]*crdVersion{}, kinds: map[string][]string{}}
	for _, set := range sets {
		files, err := config.Files(set)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if err := c.addFile(f); err != nil {
				return nil, fmt.Errorf("embedded %s: %w", f.Name, err)
			}
		}
	}
	for g := range c.kinds {
		sort.Strings(c.kinds[g])
	}
	return c, nil
}

func (c *catalog) addFile(f config.File) error {
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(f.Data)))
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		// Cheap test before decoding: the policy documents are small, the CRDs large.
		if !bytes.Contains(doc, []byte("kind: CustomResourceDefinition")) {
			continue
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(doc, &crd); err != nil {
			return err
		}
		c.addCRD(&crd)
	}
}

func (c *catalog) addCRD(crd *apiextensionsv1.CustomResourceDefinition) {
	group, kind := crd.Spec.Group, crd.Spec.Names.Kind
	if !slices.Contains(c.kinds[group], kind) {
		c.kinds[group] = append(c.kinds[group], kind)
	}
	for _, v := range crd.Spec.Versions {
		// As the apiserver: a version that is not served has no endpoint to create objects at.
		if !v.Served {
			continue
		}
		gvk := schema.GroupVersionKind{Group: group, Version: v.Name, Kind: kind}
		cv := &crdVersion{
			gvk:        gvk,
			namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
			status:     v.Subresources != nil && v.Subresources.Status != nil,
			deprecated: v.Deprecated,
			source:     v.Schema,
		}
		if v.Deprecated {
			cv.warning = deprecationWarning(crd, v)
		}
		c.versions[gvk] = cv
	}
}

// lookup finds the served version of a kind.
func (c *catalog) lookup(gvk schema.GroupVersionKind) *crdVersion { return c.versions[gvk] }

// servedVersions lists the versions of a kind the catalog serves, e.g. ["v1", "v1beta1"].
func (c *catalog) servedVersions(gk schema.GroupKind) []string {
	var out []string
	for gvk := range c.versions {
		if gvk.GroupKind() == gk {
			out = append(out, gvk.Version)
		}
	}
	sort.Strings(out)
	return out
}

// kindFolded returns the group's kind spelled like kind but for case ("HttpRoute" → "HTTPRoute").
func (c *catalog) kindFolded(group, kind string) string {
	for _, k := range c.kinds[group] {
		if strings.EqualFold(k, kind) {
			return k
		}
	}
	return ""
}

// schemas compiles the version on first use, as the apiserver does when it first serves it.
func (v *crdVersion) schemas() (*compiled, error) {
	v.once.Do(func() { v.compiled, v.err = compile(v.source) })
	return v.compiled, v.err
}

// compile mirrors the apiserver's crdHandler: convert the v1 schema to the internal one, make it
// structural, prune the defaults the schema does not allow, and build both validators.
func compile(src *apiextensionsv1.CustomResourceValidation) (*compiled, error) {
	internal := &apiextensions.CustomResourceValidation{}
	if src != nil {
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(src, internal, nil); err != nil {
			return nil, fmt.Errorf("converting the schema: %w", err)
		}
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("the schema is not structural: %w", err)
	}
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, fmt.Errorf("pruning the schema's defaults: %w", err)
	}
	sv, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building the schema validator: %w", err)
	}
	return &compiled{structural: s, schema: sv, cel: cel.NewValidator(s, true, celconfig.PerCallLimit)}, nil
}

// deprecationWarning is the warning the apiserver sends with a request to a deprecated version:
// the CRD's own, or "g/v K is deprecated; use g/v2 K" naming the newest served version that is
// newer and not deprecated.
func deprecationWarning(crd *apiextensionsv1.CustomResourceDefinition, v apiextensionsv1.CustomResourceDefinitionVersion) string {
	if v.DeprecationWarning != nil {
		return *v.DeprecationWarning
	}
	msg := fmt.Sprintf("%s/%s %s is deprecated", crd.Spec.Group, v.Name, crd.Spec.Names.Kind)
	newest := ""
	for _, o := range crd.Spec.Versions {
		if o.Served && !o.Deprecated && version.CompareKubeAwareVersionStrings(v.Name, o.Name) < 0 &&
			(newest == "" || version.CompareKubeAwareVersionStrings(o.Name, newest) > 0) {
			newest = o.Name
		}
	}
	if newest == "" {
		return msg
	}
	return fmt.Sprintf("%s; use %s/%s %s", msg, crd.Spec.Group, newest, crd.Spec.Names.Kind)
}
