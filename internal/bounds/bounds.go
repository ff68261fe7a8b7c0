// Package bounds fits what the operator writes to the limits of the API: every string to
// its CRD's maxLength and every list to its maxItems, read from the CRDs the operator
// ships (config/crd), so that the API server never refuses a write for its size and a cut
// never happens silently. Strings are cut with a note of how much was left out.
package bounds

import (
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"unicode/utf8"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	"github.com/isms-operator/isms-operator/config/crd"
)

// Budgets the operator keeps to, below what the API allows, so that what people read stays
// short and an asset's status stays small (architecture.md: under 16 KiB).
const (
	// ConditionMessage is the longest condition message the operator writes (metav1.Condition
	// allows 32768).
	ConditionMessage = 1024
	// EventNote is the longest Event note the API server accepts, in bytes.
	EventNote = 1024
	// LabelValue is the longest label value the API server accepts, in bytes.
	LabelValue = 63
)

// Cut shortens s to at most n bytes (and so at most n characters), on a character
// boundary, ending with a note of how many characters were left out.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// The note is never longer than with every character of s counted in it.
	longest := len(note(utf8.RuneCountInString(s)))
	if longest >= n {
		return s[:boundary(s, n)]
	}
	keep := boundary(s, n-longest)
	return s[:keep] + note(utf8.RuneCountInString(s[keep:]))
}

func note(left int) string { return fmt.Sprintf("… (%d more characters)", left) }

// boundary is the largest length of at most n bytes at which s can be cut between characters.
func boundary(s string, n int) int {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// Fit cuts every string and list of obj, one of the operator's kinds, to the maxLength and
// maxItems its CRD declares, and returns the JSON paths it cut (none for an object within
// its bounds). Lists keep their first items: the builders of ordered lists (a Risk's
// history, newest last) bound them themselves, and this is the last line.
func Fit(obj runtime.Object, scheme *runtime.Scheme) ([]string, error) {
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return nil, err
	}
	s, err := schemaFor(gvk)
	if err != nil {
		return nil, err
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	var cut []string
	for _, field := range []string{"spec", "status"} {
		if v, ok := content[field]; ok {
			content[field] = fit(v, ptr(s.Properties[field]), "."+field, &cut)
		}
	}
	if len(cut) == 0 {
		return nil, nil
	}
	return cut, runtime.DefaultUnstructuredConverter.FromUnstructured(content, obj)
}

func ptr(s apiextensionsv1.JSONSchemaProps) *apiextensionsv1.JSONSchemaProps { return &s }

func fit(v any, s *apiextensionsv1.JSONSchemaProps, path string, cut *[]string) any {
	switch value := v.(type) {
	case string:
		if s.MaxLength != nil && int64(utf8.RuneCountInString(value)) > *s.MaxLength {
			*cut = append(*cut, path)
			return Cut(value, int(*s.MaxLength))
		}
	case []any:
		if s.MaxItems != nil && int64(len(value)) > *s.MaxItems {
			*cut = append(*cut, path)
			value = value[:*s.MaxItems]
		}
		if s.Items != nil && s.Items.Schema != nil {
			for i := range value {
				value[i] = fit(value[i], s.Items.Schema, fmt.Sprintf("%s[%d]", path, i), cut)
			}
		}
		return value
	case map[string]any:
		for key, item := range value {
			switch {
			case len(s.Properties) > 0:
				if p, ok := s.Properties[key]; ok {
					value[key] = fit(item, &p, path+"."+key, cut)
				}
			case s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
				value[key] = fit(item, s.AdditionalProperties.Schema, path+"."+key, cut)
			}
		}
	}
	return v
}

var (
	loadOnce sync.Once
	schemas  map[schema.GroupVersionKind]*apiextensionsv1.JSONSchemaProps
	loadErr  error
)

// schemaFor returns the OpenAPI schema of a kind's version from the embedded CRDs.
func schemaFor(gvk schema.GroupVersionKind) (*apiextensionsv1.JSONSchemaProps, error) {
	loadOnce.Do(func() { schemas, loadErr = Schemas() })
	if loadErr != nil {
		return nil, loadErr
	}
	s, ok := schemas[gvk]
	if !ok {
		return nil, fmt.Errorf("no CRD schema for %s", gvk)
	}
	return s, nil
}

// Schemas reads the OpenAPI schema of every kind and version of the embedded CRDs.
func Schemas() (map[schema.GroupVersionKind]*apiextensionsv1.JSONSchemaProps, error) {
	out := map[schema.GroupVersionKind]*apiextensionsv1.JSONSchemaProps{}
	err := fs.WalkDir(crd.Bases, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		data, err := fs.ReadFile(crd.Bases, path)
		if err != nil {
			return err
		}
		var def apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &def); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, v := range def.Spec.Versions {
			if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				return fmt.Errorf("%s: version %s has no schema", path, v.Name)
			}
			out[schema.GroupVersionKind{Group: def.Spec.Group, Version: v.Name, Kind: def.Spec.Names.Kind}] = v.Schema.OpenAPIV3Schema
		}
		return nil
	})
	return out, err
}
