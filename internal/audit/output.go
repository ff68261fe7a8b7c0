package audit

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/openreports"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// WriteTable writes the results as a table a person reads, then the documents that could
// not be used.
func WriteTable(w io.Writer, r *Result) error {
	t := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(t, "NAMESPACE\tASSET\tCONTROL\tLEVEL\tSTATUS\tRESOURCE\tMESSAGE")
	for _, row := range r.Results {
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Namespace, row.Asset, row.Control, row.Level, row.Status, row.Resource, row.Message)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d assets, %d compliant, %d required failures\n", r.Summary.Assets, r.Summary.CompliantAssets, r.Summary.RequiredFailures)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	return nil
}

// WriteJSON writes the results in the stable JSON schema APIVersion names, as they are
// encoded: one row, and one document error, to a line, so that a pipeline can grep them
// and a large estate's output is never held whole.
func WriteJSON(w io.Writer, r *Result) error {
	out := bufio.NewWriter(w)
	field := func(name string, v any, last bool) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %q: %s", name, data)
		if !last {
			out.WriteString(",")
		}
		out.WriteString("\n")
		return nil
	}
	list := func(name string, n int, item func(i int) any, last bool) error {
		fmt.Fprintf(out, "  %q: [", name)
		for i := range n {
			data, err := json.Marshal(item(i))
			if err != nil {
				return err
			}
			if i > 0 {
				out.WriteString(",")
			}
			out.WriteString("\n    ")
			out.Write(data)
		}
		if n > 0 {
			out.WriteString("\n  ")
		}
		out.WriteString("]")
		if !last {
			out.WriteString(",")
		}
		out.WriteString("\n")
		return nil
	}
	out.WriteString("{\n")
	for _, step := range []func() error{
		func() error { return field("apiVersion", r.APIVersion, false) },
		func() error { return field("now", r.Now, false) },
		func() error { return field("summary", r.Summary, false) },
		func() error { return list("results", len(r.Results), func(i int) any { return r.Results[i] }, false) },
		func() error { return list("errors", len(r.Errors), func(i int) any { return r.Errors[i] }, true) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	out.WriteString("}\n")
	return out.Flush()
}

// The JUnit XML shape CI systems read: a suite per asset, a case per control.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		Failure   *junitMessage `xml:"failure,omitempty"`
		Skipped   *junitMessage `xml:"skipped,omitempty"`
	}
	junitMessage struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
)

// WriteJUnit writes the results as JUnit XML: a suite per asset, a test case per control,
// failed when a Required control fails, skipped when not evaluated; unreadable documents
// are errors.
func WriteJUnit(w io.Writer, r *Result) error {
	out := junitSuites{Name: "isms-operator audit", Errors: len(r.Errors)}
	index := map[string]int{}
	cases := map[string]int{}
	for _, row := range r.Results {
		suiteName := row.Namespace + "/" + row.Asset
		si, ok := index[suiteName]
		if !ok {
			si = len(out.Suites)
			index[suiteName] = si
			out.Suites = append(out.Suites, junitSuite{Name: suiteName})
		}
		suite := &out.Suites[si]
		key := suiteName + "/" + row.Control
		ci, ok := cases[key]
		if !ok {
			ci = len(suite.Cases)
			cases[key] = ci
			suite.Cases = append(suite.Cases, junitCase{Name: row.Control, ClassName: suiteName})
			suite.Tests++
			out.Tests++
		}
		c := &suite.Cases[ci]
		switch {
		case row.Status == controls.StatusNotEvaluated:
			c.Skipped = &junitMessage{Message: row.Message}
			suite.Skipped++
		case row.Status == controls.StatusFail && row.Level == string(isms.LevelRequired):
			if c.Failure == nil {
				c.Failure = &junitMessage{Message: row.Control + " fails"}
				suite.Failures++
				out.Failures++
			}
			c.Failure.Text += strings.TrimSpace(row.Resource+": "+row.Message) + "\n"
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	e := xml.NewEncoder(w)
	e.Indent("", "  ")
	if err := e.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteOpenReports writes the OpenReports Reports the operator would keep for the
// audited assets, one per namespace, as YAML documents: what Policy Reporter's CLI reads,
// or a pipeline archives. Offline there is no register, so each failure's severity is the
// rating its Risk would be raised with (NPSA bands).
func WriteOpenReports(w io.Writer, r *Result) error {
	byNamespace := map[string][]openreports.Asset{}
	for _, a := range r.assets {
		byNamespace[a.Asset.Namespace] = append(byNamespace[a.Asset.Namespace], a)
	}
	for i, ns := range slices.Sorted(maps.Keys(byNamespace)) {
		data, err := yaml.Marshal(openreports.Build(ns, byNamespace[ns], riskmatrix.NPSA))
		if err != nil {
			return err
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	return nil
}
