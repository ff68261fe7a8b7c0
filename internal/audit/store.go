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
	"github.com/isms-operator/isms-operator/internal/manifests"
)

// store serves the objects of a set of manifests to the evidence gatherer as a
// client.Reader, so that offline evidence is gathered by the very code the operator uses
// on its cache. Each object is decoded to its Go type once as it is added, to check it and
// to index it under the field indexes the gatherer asks through (evidence.Indexes, the
// functions the operator's cache indexes with); the store then keeps its JSON, a fifth of
// the decoded object's size, and decodes it again for each read. The audit's cost is
// linear in the manifests and its memory close to theirs. Once every object is added, the
// store is only read, from as many goroutines as evaluate assets.
type store struct {
	scheme  *runtime.Scheme
	objects map[schema.GroupVersionKind][]*entry
	byName  map[objectKey]*entry
	// indexers are the index functions by kind and field; indexes the entries by value.
	indexers map[schema.GroupVersionKind]map[string]client.IndexerFunc
	indexes  map[indexKey]map[string][]*entry
}

// entry is a stored object: the document it was decoded from, or, for an object no
// document holds or of a kind the scheme lacks, the object itself.
type entry struct {
	namespace string
	labels    map[string]string
	doc       *manifests.Document
	obj       client.Object
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
	s := &store{scheme: scheme, objects: map[schema.GroupVersionKind][]*entry{}, byName: map[objectKey]*entry{},
		indexers: map[schema.GroupVersionKind]map[string]client.IndexerFunc{}, indexes: map[indexKey]map[string][]*entry{}}
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
		s.indexes[indexKey{gvk, index.Field}] = map[string][]*entry{}
	}
	return s
}

// add stores obj, decoded from doc; doc is nil for an object made rather than read. A
// typed object read from a document is kept as the document; any other as itself.
func (s *store) add(obj client.Object, doc *manifests.Document) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	e := &entry{namespace: obj.GetNamespace(), labels: obj.GetLabels()}
	if _, isUnstructured := obj.(*unstructured.Unstructured); !isUnstructured && doc != nil {
		e.doc = doc
	} else {
		e.obj = obj
	}
	s.objects[gvk] = append(s.objects[gvk], e)
	s.byName[objectKey{gvk, obj.GetNamespace(), obj.GetName()}] = e
	for field, extract := range s.indexers[gvk] {
		index := s.indexes[indexKey{gvk, field}]
		for _, v := range extract(obj) {
			index[v] = append(index[v], e)
		}
	}
}

// read returns the stored object: decoded afresh, or the object kept, which the caller
// must not change.
func (s *store) read(e *entry) (client.Object, error) {
	if e.obj != nil {
		return e.obj, nil
	}
	return decode(s.scheme, *e.doc, e.namespace)
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
	e, ok := s.byName[objectKey{gvk, key.Namespace, key.Name}]
	if !ok {
		return apierrors.NewNotFound(schema.GroupResource{Group: gvk.Group, Resource: strings.ToLower(gvk.Kind)}, key.Name)
	}
	found, err := s.read(e)
	if err != nil {
		return err
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
	for _, e := range candidates {
		if listOpts.Namespace != "" && e.namespace != listOpts.Namespace {
			continue
		}
		if listOpts.LabelSelector != nil && !listOpts.LabelSelector.Matches(labels.Set(e.labels)) {
			continue
		}
		obj, err := s.read(e)
		if err != nil {
			return err
		}
		if e.obj != nil && (listOpts.UnsafeDisableDeepCopy == nil || !*listOpts.UnsafeDisableDeepCopy) {
			obj = obj.DeepCopyObject().(client.Object)
		}
		items = append(items, obj)
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
// selects (all of the kind without one), found through the indexes.
func (s *store) candidates(gvk schema.GroupVersionKind, selector fields.Selector) ([]*entry, error) {
	if selector == nil || selector.Empty() {
		return s.objects[gvk], nil
	}
	requirements := selector.Requirements()
	if len(requirements) != 1 || requirements[0].Operator != "=" && requirements[0].Operator != "==" {
		return nil, fmt.Errorf("the audit's store serves one exact field index match, not %q", selector)
	}
	index, ok := s.indexes[indexKey{gvk, requirements[0].Field}]
	if !ok {
		return nil, fmt.Errorf("no index %s on %s", requirements[0].Field, gvk.Kind)
	}
	return index[requirements[0].Value], nil
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
