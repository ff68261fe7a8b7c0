// Command gendocs writes the generated parts of README.md from the code, so the docs
// cannot drift from it: the control catalogue table, between the markers
// <!-- controls:begin --> and <!-- controls:end -->. `make generate` runs it, and a test
// fails when README.md is out of date.
package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

const (
	begin = "<!-- controls:begin -->"
	end   = "<!-- controls:end -->"
)

func main() {
	path := "README.md"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	data, err := os.ReadFile(path)
	if err == nil {
		var out string
		if out, err = withTable(string(data)); err == nil {
			err = os.WriteFile(path, []byte(out), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

// withTable returns readme with the text between the markers replaced by the table.
func withTable(readme string) (string, error) {
	start, stop := strings.Index(readme, begin), strings.Index(readme, end)
	if start < 0 || stop < start {
		return "", fmt.Errorf("README.md lacks the markers %s and %s", begin, end)
	}
	return readme[:start+len(begin)] + "\n" + catalogueTable() + readme[stop:], nil
}

// catalogueTable renders the catalogue as a Markdown table.
func catalogueTable() string {
	var b strings.Builder
	b.WriteString("| ID | condition | passes when | default level: OFFICIAL-SENSITIVE or personal data | default level: OFFICIAL otherwise | likelihood | references |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, c := range controls.Catalogue {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %s |\n", c.ID, c.Family, c.Title,
			defaultLevels(c, true), defaultLevels(c, false), c.Likelihood, strings.Join(c.References, " "))
	}
	return b.String()
}

// defaultLevels describes a control's default level across criticalities, e.g.
// "Required" or "Required (High, Critical), else Recommended".
func defaultLevels(c controls.Control, sensitive bool) string {
	criticalities := []isms.Criticality{isms.CriticalityLow, isms.CriticalityMedium, isms.CriticalityHigh, isms.CriticalityCritical}
	byLevel := map[isms.ControlLevel][]string{}
	var order []isms.ControlLevel
	for _, criticality := range criticalities {
		asset := &isms.InformationAsset{Spec: isms.InformationAssetSpec{Classification: isms.ClassificationOfficial, Criticality: criticality}}
		if sensitive {
			asset.Spec.Classification = isms.ClassificationOfficialSensitive
		}
		level := c.LevelFor(asset)
		if !slices.Contains(order, level) {
			order = append(order, level)
		}
		byLevel[level] = append(byLevel[level], string(criticality))
	}
	if len(order) == 1 {
		return string(order[0])
	}
	// The level of the lowest criticality is the "else"; the others name their criticalities.
	var parts []string
	for _, level := range order[1:] {
		parts = append(parts, fmt.Sprintf("%s (%s)", level, strings.Join(byLevel[level], ", ")))
	}
	return strings.Join(parts, ", ") + ", else " + string(order[0])
}
