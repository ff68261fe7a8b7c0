// Package manifests reads Kubernetes manifests from files, directories and standard
// input: YAML or JSON, many documents to a file, Lists flattened. A document that cannot
// be read is reported with its file and index and does not stop the rest.
package manifests

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/isms-operator/isms-operator/internal/parallel"
)

// Document is one object read, with where it came from.
type Document struct {
	// Source is the file ("-" for standard input); Index the document's position in it,
	// from 0; Item the object's position in a List (-1 when not from a List).
	Source      string
	Index, Item int
	// APIVersion, Kind, Name and Namespace are the object's, as written.
	APIVersion, Kind, Name, Namespace string
	// JSON is the object, as JSON: its consumer decodes it once, to the type it needs.
	JSON []byte
}

// GroupVersionKind is the object's kind.
func (d Document) GroupVersionKind() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(d.APIVersion, d.Kind)
}

// Object decodes the document as unstructured.
func (d Document) Object() (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	return u, u.UnmarshalJSON(d.JSON)
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

// batch is how many documents are converted at once, on every core.
const batch = 256

// Parse reads the documents of one stream, named source. The stream is split into
// documents as it is read; the documents are converted to JSON on every core.
func Parse(source string, r io.Reader) ([]Document, []Problem) {
	var raws [][]byte
	var problems []Problem
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, Problem{Source: source, Index: len(raws), Err: err})
			break
		}
		raws = append(raws, raw)
	}
	type parsed struct {
		docs []Document
		errs []error
	}
	var docs []Document
	parallel.Ordered(len(raws), batch, func(i int) parsed {
		docs, errs := decode(raws[i])
		raws[i] = nil
		return parsed{docs, errs}
	}, func(index int, r parsed) {
		for _, err := range r.errs {
			problems = append(problems, Problem{Source: source, Index: index, Err: err})
		}
		for _, d := range r.docs {
			d.Source, d.Index = source, index
			docs = append(docs, d)
		}
	})
	slices.SortStableFunc(problems, func(a, b Problem) int { return cmp.Compare(a.Index, b.Index) })
	return docs, problems
}

// header is what is read of every object before its consumer decodes it.
type header struct {
	APIVersion any             `json:"apiVersion"`
	Kind       any             `json:"kind"`
	Metadata   any             `json:"metadata"`
	Items      json.RawMessage `json:"items"`
}

// decode turns one document into its objects: none for an empty document, the items of a
// List (an item that is not a usable object is left out, with an error saying which), or
// the object itself.
func decode(raw []byte) ([]Document, []error) {
	data, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		if _, lenient := yaml.YAMLToJSON(raw); lenient == nil {
			return nil, []error{fmt.Errorf("a key given twice (kubectl apply refuses it): %w", err)}
		}
		return nil, []error{fmt.Errorf("not YAML or JSON: %w", err)}
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) { // empty, or comments only
		return nil, nil
	}
	var h header
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &h); err != nil {
		return nil, []error{fmt.Errorf("not a Kubernetes object: %w", err)}
	}
	if !bytes.HasPrefix(h.Items, []byte("[")) {
		doc, err := document(h, data)
		if err != nil {
			return nil, []error{err}
		}
		return []Document{doc}, nil
	}
	var items []json.RawMessage
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(h.Items, &items); err != nil {
		return nil, []error{fmt.Errorf("a List whose items cannot be read: %w", err)}
	}
	var docs []Document
	var errs []error
	for i, item := range items {
		var h header
		if !bytes.HasPrefix(item, []byte("{")) || sigsjson.UnmarshalCaseSensitivePreserveInts(item, &h) != nil {
			errs = append(errs, fmt.Errorf("List item %d: not an object", i))
			continue
		}
		doc, err := document(h, item)
		if err != nil {
			errs = append(errs, fmt.Errorf("List item %d: %w", i, err))
			continue
		}
		doc.Item = i
		docs = append(docs, doc)
	}
	return docs, errs
}

// document is the object whose header h is, checked.
func document(h header, data []byte) (Document, error) {
	if err := check(h); err != nil {
		return Document{}, err
	}
	doc := Document{Item: -1, APIVersion: h.APIVersion.(string), Kind: h.Kind.(string), JSON: data}
	metadata, _ := h.Metadata.(map[string]any)
	doc.Name, _ = metadata["name"].(string)
	doc.Namespace, _ = metadata["namespace"].(string)
	return doc, nil
}

// check refuses what kubectl apply would refuse before anything is judged: no apiVersion
// or kind, no name, and metadata whose names, labels or annotations are not strings (YAML
// reads `namespace: off` as the boolean false, which must not quietly become "default").
func check(h header) error {
	kind, _ := h.Kind.(string)
	if err := checkMetadata(h.Metadata); err != nil {
		return fmt.Errorf("%s: %w", cmp.Or(kind, "object"), err)
	}
	apiVersion, _ := h.APIVersion.(string)
	metadata, _ := h.Metadata.(map[string]any)
	switch {
	case apiVersion == "":
		return errors.New("no apiVersion")
	case kind == "":
		return errors.New("no kind")
	case metadata["name"] == nil || metadata["name"] == "":
		return fmt.Errorf("%s without metadata.name", kind)
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
