package v1alpha1_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/isms-operator/isms-operator/config/crd"
	"github.com/isms-operator/isms-operator/internal/testenv"
)

// The descriptions of the generated CRDs are what `kubectl explain` shows. controller-gen
// keeps every line break of a Go doc comment, so the comments of the API types break lines
// only between sentences (one sentence to a line), never inside one, and they point at
// nothing a reader of the CRD does not have.

// description is one description of a CRD's schema and where it is.
type description struct {
	crd, path, text string
}

// crdDescriptions walks every description of every version of the generated CRDs.
func crdDescriptions(t *testing.T) []description {
	t.Helper()
	files, err := fs.Glob(crd.Bases, "bases/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no CRDs embedded from config/crd/bases")
	}
	var out []description
	for _, file := range files {
		data, err := crd.Bases.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var def apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &def); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, version := range def.Spec.Versions {
			if version.Schema == nil || version.Schema.OpenAPIV3Schema == nil {
				continue
			}
			name := def.Name + "/" + version.Name
			walkSchema(version.Schema.OpenAPIV3Schema, "", func(path, text string) {
				out = append(out, description{crd: name, path: path, text: text})
			})
		}
	}
	return out
}

// walkSchema calls visit with the path and description of schema and of every schema in
// it, as `kubectl explain` names them (e.g. spec.controls.justifications.reason; "[]"
// marks the items of a list, "{}" the values of a map).
func walkSchema(schema *apiextensionsv1.JSONSchemaProps, path string, visit func(path, text string)) {
	if schema == nil {
		return
	}
	if schema.Description != "" {
		shown := path
		if shown == "" {
			shown = "(root)"
		}
		visit(shown, schema.Description)
	}
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	names := make([]string, 0, len(schema.Properties))
	for name := range schema.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		property := schema.Properties[name]
		walkSchema(&property, join(name), visit)
	}
	if schema.Items != nil {
		walkSchema(schema.Items.Schema, path+"[]", visit)
		for i := range schema.Items.JSONSchemas {
			walkSchema(&schema.Items.JSONSchemas[i], path+"[]", visit)
		}
	}
	if schema.AdditionalProperties != nil {
		walkSchema(schema.AdditionalProperties.Schema, path+"{}", visit)
	}
	for _, group := range [][]apiextensionsv1.JSONSchemaProps{schema.AllOf, schema.AnyOf, schema.OneOf} {
		for i := range group {
			walkSchema(&group[i], path, visit)
		}
	}
	walkSchema(schema.Not, path, visit)
}

// upstreamDocs are the descriptions the CRDs take verbatim from Kubernetes' own types
// (apiVersion and kind, the items of status.conditions, the parts of spec.selector), with
// whitespace collapsed. Their comments live in k8s.io/apimachinery, not here, and break
// lines inside sentences; every Kubernetes resource shows them so.
func upstreamDocs() map[string]bool {
	docs := map[string]bool{}
	for _, swagger := range []map[string]string{
		metav1.TypeMeta{}.SwaggerDoc(),
		metav1.Condition{}.SwaggerDoc(),
		metav1.LabelSelector{}.SwaggerDoc(),
		metav1.LabelSelectorRequirement{}.SwaggerDoc(),
	} {
		for _, doc := range swagger {
			docs[strings.Join(strings.Fields(doc), " ")] = true
		}
	}
	return docs
}

// abbreviations end with a full stop but not a sentence.
var abbreviations = []string{"e.g.", "i.e.", "cf.", "vs.", "approx."}

// midSentenceBreak returns the line that a line break of text cuts a sentence after, or ""
// when every line break falls at the end of a sentence or a clause ending in a colon,
// separates paragraphs, or starts a list item ("- ").
func midSentenceBreak(text string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines[:len(lines)-1] {
		next := lines[i+1]
		switch {
		case strings.TrimSpace(line) == "" || strings.TrimSpace(next) == "":
			continue // a paragraph break
		case strings.HasPrefix(strings.TrimSpace(next), "- "):
			continue // a list item
		}
		end := strings.TrimRight(strings.TrimSpace(line), `)"'`+"`")
		if end == "" || !strings.ContainsAny(end[len(end)-1:], ".:!?") {
			return line
		}
		for _, abbreviation := range abbreviations {
			if strings.HasSuffix(end, " "+abbreviation) || end == abbreviation {
				return line
			}
		}
	}
	return ""
}

var (
	urlPattern     = regexp.MustCompile(`[a-z][a-z0-9+.-]*://\S+`)
	mdFilePattern  = regexp.MustCompile(`(?i)[\w./-]*\.md\b`)
	outsidePattern = regexp.MustCompile(`\.\./\S*`)
)

// missingFiles returns the .md files and relative paths text refers to that a reader of
// the CRD cannot open: a path outside the repository, or a .md file that is not in the
// repository's root. Web addresses are not files.
func missingFiles(text, root string) []string {
	text = urlPattern.ReplaceAllString(text, "")
	var missing []string
	missing = append(missing, outsidePattern.FindAllString(text, -1)...)
	for _, name := range mdFilePattern.FindAllString(text, -1) {
		if strings.Contains(name, "/") {
			missing = append(missing, name)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, name)); err != nil {
			missing = append(missing, name)
		}
	}
	return missing
}

func TestCRDDescriptionsBreakLinesOnlyBetweenSentences(t *testing.T) {
	upstream := upstreamDocs()
	checked := 0
	for _, d := range crdDescriptions(t) {
		if upstream[strings.Join(strings.Fields(d.text), " ")] {
			continue
		}
		checked++
		if line := midSentenceBreak(d.text); line != "" {
			t.Errorf("%s: %s: the description breaks a line inside a sentence, after %q:\n%s", d.crd, d.path, line, d.text)
		}
	}
	if checked < 100 {
		t.Errorf("checked only %d descriptions: the walk of the CRDs' schemas missed most of them", checked)
	}
}

func TestCRDDescriptionsReferToNoFileReadersLack(t *testing.T) {
	root := testenv.RepoRoot()
	for _, d := range crdDescriptions(t) {
		if missing := missingFiles(d.text, root); len(missing) > 0 {
			t.Errorf("%s: %s: the description refers to %q, which is not a file in the repository's root; "+
				"say what it says or point at a section of README.md:\n%s", d.crd, d.path, missing, d.text)
		}
	}
}

// The rules themselves, on descriptions of the kinds the API has had.
func TestCRDDescriptionRules(t *testing.T) {
	breaks := map[string]bool{ // text: whether it breaks a sentence
		"one line.":                                  false,
		"First sentence.\nSecond sentence.":          false,
		"conditions: Ready,\nCompliant.":             true,
		"a wrapped\nsentence.":                       true,
		"A paragraph.\n\nAnother paragraph.":         false,
		"A list:\n- first\n- second":                 false,
		"Sets the default (see below.)\nNext one.":   false,
		"the person's address, e.g.\njane@nhs.net.":  true,
		"Defaults to 8760h (365 days).\nOr not.":     false,
		"controls.md says what the defaults\nare.":   true,
		"Is it?\nYes: it is.":                        false,
		"`code`\nnext":                               true,
		"Ends in a quote \"x.\"\nNext.":              false,
		"objects\nin the cluster are evaluated too.": true,
	}
	for text, want := range breaks {
		if got := midSentenceBreak(text) != ""; got != want {
			t.Errorf("midSentenceBreak(%q) found a break: %v, want %v", text, got, want)
		}
	}

	root := testenv.RepoRoot()
	refers := map[string][]string{ // text: what it refers to that readers lack
		"the default level of each control (see controls.md).": {"controls.md"},
		"where a Risk is in its lifecycle (risk.md).":          {"risk.md"},
		"see ../shared/design for why.":                        {"../shared/design"},
		"see docs/architecture.md.":                            {"docs/architecture.md"},
		"see the README's \"The controls\" section.":           nil,
		"see README.md.":                                       nil,
		"More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources": nil,
	}
	for text, want := range refers {
		got := missingFiles(text, root)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("missingFiles(%q) = %q, want %q", text, got, want)
		}
	}
}
