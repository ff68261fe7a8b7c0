package controllers_test

import (
	"fmt"
	"testing"
	"unicode/utf8"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/isms-operator/isms-operator/internal/bounds"
)

// outOfBounds lists every string and list of obj (as the API server returned it) that
// exceeds a maxLength or maxItems of its kind's generated CRD.
func outOfBounds(t *testing.T, obj client.Object) []string {
	t.Helper()
	schemas, err := bounds.Schemas()
	if err != nil {
		t.Fatal(err)
	}
	gvk, err := apiutil.GVKForObject(obj, env.Client.Scheme())
	if err != nil {
		t.Fatal(err)
	}
	s := schemas[schema.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind}]
	if s == nil {
		t.Fatalf("no CRD schema for %s", gvk)
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	var walk func(v any, s *apiextensionsv1.JSONSchemaProps, path string)
	walk = func(v any, s *apiextensionsv1.JSONSchemaProps, path string) {
		switch value := v.(type) {
		case string:
			if s.MaxLength != nil && int64(utf8.RuneCountInString(value)) > *s.MaxLength {
				problems = append(problems, fmt.Sprintf("%s %s: %d characters, over its maxLength %d", obj.GetName(), path, utf8.RuneCountInString(value), *s.MaxLength))
			}
		case []any:
			if s.MaxItems != nil && int64(len(value)) > *s.MaxItems {
				problems = append(problems, fmt.Sprintf("%s %s: %d items, over its maxItems %d", obj.GetName(), path, len(value), *s.MaxItems))
			}
			for i, item := range value {
				if s.Items != nil && s.Items.Schema != nil {
					walk(item, s.Items.Schema, fmt.Sprintf("%s[%d]", path, i))
				}
			}
		case map[string]any:
			for key, item := range value {
				if p, ok := s.Properties[key]; ok {
					walk(item, &p, path+"."+key)
				}
			}
		}
	}
	status := s.Properties["status"]
	walk(content["status"], &status, ".status")
	return problems
}
