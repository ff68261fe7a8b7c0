package audit

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/isms-operator/isms-operator/internal/evidence"
)

// store serves the objects of a set of manifests to the evidence gatherer as a
// client.Reader, so that offline evidence is gathered by the very code the operator uses
// on its cache. Objects are decoded to their Go types once, as they are added, and the
// field indexes the gatherer asks through (evidence.Indexes) are built once, from the same
// functions the operator's cache indexes with: the audit's cost is linear in the manifests.
type store struct {
	scheme  *runtime.Scheme
	objects map[schema.GroupVersionKind][]client.Object
	byName  map[objectKey]client.Object
	// indexers are the index functions by kind and field; built the entries by value.
	indexers map[schema.GroupVersionKind]map[string]client.IndexerFunc
	built    map[indexKey]map[string][]client.Object
}

type objectKey struct {
	gvk             schema.GroupVersionKind
	namespace, name string
}

type indexKey struct {
	gvk   schema.GroupVersionKind
	field string
}

func newStore(scheme *runtime.Scheme) *store {
	s := &store{scheme: scheme, objects: map[schema.GroupVersionKind][]client.Object{}, byName: map[objectKey]client.Object{},
		indexers: map[schema.GroupVersionKind]map[string]client.IndexerFunc{}, built: map[indexKey]map[string][]client.Object{}}
	indexes := evidence.Indexes()
	for _, gvk := range evidence.OptionalKinds {
		indexes = append(indexes, evidence.OptionalIndexes(gvk)...)
	}
	for _, index := range indexes {
		gvk, err := apiutil.GVKForObject(index.Object, scheme)
		if err != nil {
			panic(fmt.Sprintf("the index %s is on a kind the scheme lacks: %v", index.Field, err))
		}
		if s.indexers[gvk] == nil {
			s.indexers[gvk] = map[string]client.IndexerFunc{}
		}
		s.indexers[gvk][index.Field] = index.Extract
	}
	return s
}

// add stores obj: typed when the scheme has its kind, else unstructured.
func (s *store) add(obj client.Object) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	s.objects[gvk] = append(s.objects[gvk], obj)
	s.byName[objectKey{gvk, obj.GetNamespace(), obj.GetName()}] = obj
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
	found, ok := s.byName[objectKey{gvk, key.Namespace, key.Name}]
	if !ok {
		return apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: strings.ToLower(gvk.Kind)}, key.Name)
	}
	return s.copyInto(found, obj)
}

// List returns the objects of the list's kind that the options select: a namespace (all
// when none), a label selector, and exact matches of the field indexes.
func (s *store) List(_ context.Context, list client.ObjectList, opts ...client.ListOption) error {
	listOpts := client.ListOptions{}
	listOpts.ApplyOptions(opts)
	gvk, err := s.gvkOf(list)
	if err != nil {
		return err
	}
	itemKind := gvk.GroupVersion().WithKind(strings.TrimSuffix(gvk.Kind, "List"))
	candidates, err := s.candidates(itemKind, listOpts.FieldSelector)
	if err != nil {
		return err
	}
	var items []runtime.Object
	for _, obj := range candidates {
		if listOpts.Namespace != "" && obj.GetNamespace() != listOpts.Namespace {
			continue
		}
		if listOpts.LabelSelector != nil && !listOpts.LabelSelector.Matches(labels.Set(obj.GetLabels())) {
			continue
		}
		if listOpts.UnsafeDisableDeepCopy != nil && *listOpts.UnsafeDisableDeepCopy {
			items = append(items, obj)
			continue
		}
		items = append(items, obj.DeepCopyObject())
	}
	if ul, ok := list.(*unstructured.UnstructuredList); ok {
		for _, item := range items {
			u, err := toUnstructured(item)
			if err != nil {
				return err
			}
			ul.Items = append(ul.Items, *u)
		}
		return nil
	}
	return meta.SetList(list, items)
}

// candidates are the objects of a kind that a field selector of exact index matches
// selects (all of the kind without one), found through the index built once per field.
func (s *store) candidates(gvk schema.GroupVersionKind, selector fields.Selector) ([]client.Object, error) {
	if selector == nil || selector.Empty() {
		return s.objects[gvk], nil
	}
	requirements := selector.Requirements()
	if len(requirements) != 1 || requirements[0].Operator != "=" && requirements[0].Operator != "==" {
		return nil, fmt.Errorf("the audit's store serves one exact field index match, not %q", selector)
	}
	field, value := requirements[0].Field, requirements[0].Value
	extract, ok := s.indexers[gvk][field]
	if !ok {
		return nil, fmt.Errorf("no index %s on %s", field, gvk.Kind)
	}
	key := indexKey{gvk, field}
	if s.built[key] == nil {
		index := map[string][]client.Object{}
		for _, obj := range s.objects[gvk] {
			for _, v := range extract(obj) {
				index[v] = append(index[v], obj)
			}
		}
		s.built[key] = index
	}
	return s.built[key][value], nil
}

// copyInto copies a stored object into obj, typed or unstructured.
func (s *store) copyInto(stored client.Object, obj client.Object) error {
	if out, ok := obj.(*unstructured.Unstructured); ok {
		u, err := toUnstructured(stored)
		if err != nil {
			return err
		}
		u.DeepCopyInto(out)
		return nil
	}
	if u, ok := stored.(*unstructured.Unstructured); ok {
		return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj)
	}
	if reflect.TypeOf(stored) != reflect.TypeOf(obj) {
		return fmt.Errorf("%T read as %T", stored, obj)
	}
	reflect.ValueOf(obj).Elem().Set(reflect.ValueOf(stored.DeepCopyObject()).Elem())
	return nil
}

func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u, nil
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
	return u, nil
}
