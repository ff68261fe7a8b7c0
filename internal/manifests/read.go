// Package manifests reads Kubernetes manifests from files, directories and standard
// input: YAML or JSON, many documents to a file, Lists flattened. A document that cannot
// be read is reported with its file and index and does not stop the rest.
package manifests

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Document is one object read, with where it came from.
type Document struct {
	// Source is the file ("-" for standard input); Index the document's position in it,
	// from 0; Item the object's position in a List (-1 when not from a List).
	Source      string
	Index, Item int
	Object      *unstructured.Unstructured
}

// Problem is a document that could not be read.
type Problem struct {
	Source string
	Index  int
	Err    error
}

// extensions are the files a directory is read for.
var extensions = []string{".yaml", ".yml", ".json"}

// Read reads every path: a file, a directory (recursively, its .yaml, .yml and .json
// files, in lexical order), or "-" for stdin. It returns an error only for a path that
// cannot be read at all.
func Read(paths []string, stdin io.Reader) ([]Document, []Problem, error) {
	var docs []Document
	var problems []Problem
	for _, path := range paths {
		if path == "-" {
			d, p := Parse("-", stdin)
			docs, problems = append(docs, d...), append(problems, p...)
			continue
		}
		err := filepath.WalkDir(path, func(file string, entry fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if entry.IsDir() || (file != path && !slices.Contains(extensions, strings.ToLower(filepath.Ext(file)))) {
				return nil
			}
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			d, p := Parse(file, f)
			docs, problems = append(docs, d...), append(problems, p...)
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: %w", path, err)
		}
	}
	return docs, problems, nil
}

// Parse reads the documents of one stream, named source.
func Parse(source string, r io.Reader) ([]Document, []Problem) {
	var docs []Document
	var problems []Problem
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for index := 0; ; index++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, problems
		}
		if err != nil {
			return docs, append(problems, Problem{Source: source, Index: index, Err: err})
		}
		objects, fromList, errs := decode(raw)
		for _, err := range errs {
			problems = append(problems, Problem{Source: source, Index: index, Err: err})
		}
		for item, obj := range objects {
			if !fromList {
				item = -1
			}
			if obj != nil {
				docs = append(docs, Document{Source: source, Index: index, Item: item, Object: obj})
			}
		}
	}
}

// decode turns one document into its objects: none for an empty document, the items of a
// List (fromList; an item that is not a usable object is nil, with an error saying which),
// or the object itself.
func decode(raw []byte) (objects []*unstructured.Unstructured, fromList bool, errs []error) {
	data, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, false, []error{fmt.Errorf("not YAML or JSON: %w", err)}
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) { // empty, or comments only
		return nil, false, nil
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(data); err != nil {
		return nil, false, []error{fmt.Errorf("not a Kubernetes object: %w", err)}
	}
	if !obj.IsList() {
		if err := check(obj); err != nil {
			return nil, false, []error{err}
		}
		return []*unstructured.Unstructured{obj}, false, nil
	}
	items, _, err := unstructured.NestedSlice(obj.Object, "items")
	if err != nil {
		return nil, true, []error{fmt.Errorf("a List whose items are not a list: %w", err)}
	}
	objects = make([]*unstructured.Unstructured, len(items))
	for i, item := range items {
		fields, ok := item.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("List item %d: not an object", i))
			continue
		}
		u := &unstructured.Unstructured{Object: fields}
		if err := check(u); err != nil {
			errs = append(errs, fmt.Errorf("List item %d: %w", i, err))
			continue
		}
		objects[i] = u
	}
	return objects, true, errs
}

// check refuses what kubectl apply would refuse before anything is judged: no apiVersion
// or kind, no name, and metadata whose names, labels or annotations are not strings (YAML
// reads `namespace: off` as the boolean false, which must not quietly become "default").
func check(obj *unstructured.Unstructured) error {
	if err := checkMetadata(obj.Object["metadata"]); err != nil {
		return fmt.Errorf("%s: %w", cmp.Or(fmt.Sprint(obj.Object["kind"]), "object"), err)
	}
	switch {
	case obj.GetAPIVersion() == "":
		return errors.New("no apiVersion")
	case obj.GetKind() == "":
		return errors.New("no kind")
	case obj.GetName() == "":
		return fmt.Errorf("%s without metadata.name", obj.GetKind())
	}
	return nil
}

func checkMetadata(metadata any) error {
	if metadata == nil {
		return nil
	}
	fields, ok := metadata.(map[string]any)
	if !ok {
		return fmt.Errorf("metadata must be an object, not %s", describe(metadata))
	}
	for _, name := range []string{"name", "namespace", "generateName"} {
		if v, found := fields[name]; found && v != nil {
			if _, isString := v.(string); !isString {
				return fmt.Errorf("metadata.%s must be a string, not %s (quote it in YAML)", name, describe(v))
			}
		}
	}
	for _, name := range []string{"labels", "annotations"} {
		v, found := fields[name]
		if !found || v == nil {
			continue
		}
		entries, isMap := v.(map[string]any)
		if !isMap {
			return fmt.Errorf("metadata.%s must be a map of strings, not %s", name, describe(v))
		}
		for key, value := range entries {
			if _, isString := value.(string); !isString {
				return fmt.Errorf("metadata.%s[%s] must be a string, not %s (quote it in YAML)", name, key, describe(value))
			}
		}
	}
	return nil
}

// describe names a decoded JSON value and its type, e.g. `false (a boolean)`.
func describe(v any) string {
	switch v.(type) {
	case bool:
		return fmt.Sprintf("%v (a boolean)", v)
	case int64, float64:
		return fmt.Sprintf("%v (a number)", v)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%v", v)
}
