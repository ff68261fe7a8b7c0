package audit

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// store serves the objects of a set of manifests to the evidence gatherer as a
// client.Reader, so that offline evidence is gathered by the very code the operator uses
// on its cache. It supports what the gatherer asks: Get, and List in a namespace.
type store struct {
	scheme  *runtime.Scheme
	objects map[schema.GroupVersionKind][]*unstructured.Unstructured
}

func (s *store) add(obj *unstructured.Unstructured) {
	gvk := obj.GroupVersionKind()
	s.objects[gvk] = append(s.objects[gvk], obj)
}

// has reports whether the manifests hold an object of the kind.
func (s *store) has(gvk schema.GroupVersionKind) bool { return len(s.objects[gvk]) > 0 }

// hasGroup reports whether the manifests hold an object of the API group.
func (s *store) hasGroup(group string) bool {
	for gvk := range s.objects {
		if gvk.Group == group {
			return true
		}
	}
	return false
}

func (s *store) gvkOf(obj runtime.Object) (schema.GroupVersionKind, error) {
	if u, ok := obj.(interface {
		GroupVersionKind() schema.GroupVersionKind
	}); ok && !u.GroupVersionKind().Empty() {
		return u.GroupVersionKind(), nil
	}
	return apiutil.GVKForObject(obj, s.scheme)
}

// Get finds the object by kind, namespace and name.
func (s *store) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	gvk, err := s.gvkOf(obj)
	if err != nil {
		return err
	}
	for _, u := range s.objects[gvk] {
		if u.GetNamespace() == key.Namespace && u.GetName() == key.Name {
			return s.convert(u, obj)
		}
	}
	return apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: strings.ToLower(gvk.Kind)}, key.Name)
}

// List returns the objects of the list's kind, in the namespace asked (all when none).
func (s *store) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	listOpts := client.ListOptions{}
	listOpts.ApplyOptions(opts)
	gvk, err := s.gvkOf(list)
	if err != nil {
		return err
	}
	itemKind := gvk.GroupVersion().WithKind(strings.TrimSuffix(gvk.Kind, "List"))
	var items []runtime.Object
	for _, u := range s.objects[itemKind] {
		if listOpts.Namespace != "" && u.GetNamespace() != listOpts.Namespace {
			continue
		}
		if ul, ok := list.(*unstructured.UnstructuredList); ok {
			ul.Items = append(ul.Items, *u.DeepCopy())
			continue
		}
		item, err := s.scheme.New(itemKind)
		if err != nil {
			return err
		}
		if err := s.convert(u, item); err != nil {
			return err
		}
		items = append(items, item)
	}
	if _, ok := list.(*unstructured.UnstructuredList); ok {
		return nil
	}
	return meta.SetList(list, items)
}

// convert copies u into obj, typed or unstructured.
func (s *store) convert(u *unstructured.Unstructured, obj runtime.Object) error {
	if out, ok := obj.(*unstructured.Unstructured); ok {
		u.DeepCopyInto(out)
		return nil
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
		return fmt.Errorf("%s %s/%s does not fit its kind: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return nil
}
