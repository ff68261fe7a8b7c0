package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// renderHTML writes the seeded report and parses it as a browser would.
func renderHTML(t *testing.T) (*html.Node, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, seeded(), now); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	doc, err := html.Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("the report does not parse as HTML: %v", err)
	}
	return doc, raw
}

// elements returns the elements under n, in document order, that match.
func elements(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var found []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			found = append(found, d)
		}
	}
	return found
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasAttr(key string) func(*html.Node) bool {
	return func(n *html.Node) bool { _, ok := attr(n, key); return ok }
}

// text is the text content of n, its text nodes separated by a space (as a reader sees a
// <br> or a <small> apart), spaces collapsed.
func text(n *html.Node) string {
	var parts []string
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			parts = append(parts, d.Data)
		}
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// cells is the text of each td of a row.
func cells(row *html.Node) []string {
	var out []string
	for _, td := range elements(row, func(n *html.Node) bool { return n.Data == "td" }) {
		out = append(out, text(td))
	}
	return out
}

func TestWriteHTMLIsSelfContained(t *testing.T) {
	doc, raw := renderHTML(t)
	for _, n := range elements(doc, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "script", "link", "iframe", "object", "embed", "base":
			t.Errorf("found a <%s> element: the report must be self-contained and script-free", n.Data)
		}
		for _, a := range n.Attr {
			val := strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(a.Key, "on"):
				t.Errorf("<%s %s=%q>: no event handlers (no scripts)", n.Data, a.Key, a.Val)
			case (a.Key == "src" || a.Key == "href" || a.Key == "srcset" || a.Key == "action" || a.Key == "poster") &&
				(strings.HasPrefix(val, "http://") || strings.HasPrefix(val, "https://") || strings.HasPrefix(val, "//")):
				t.Errorf("<%s %s=%q> loads an external asset", n.Data, a.Key, a.Val)
			}
		}
	}
	for _, style := range elements(doc, func(n *html.Node) bool { return n.Data == "style" }) {
		if css := text(style); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
			t.Errorf("the inline CSS loads something: %s", css)
		}
	}
	if strings.Contains(raw, "http://") || strings.Contains(raw, "https://") {
		t.Error("the report names an http(s) URL")
	}
	// A risk title that holds markup is shown as text, not run.
	title := `EPR supplier outage <script>alert("x")</script>`
	if found := elements(doc, func(n *html.Node) bool { return n.Data == "td" && text(n) == title }); len(found) == 0 {
		t.Errorf("the hostile risk title is not shown as text")
	}
}

func TestWriteHTMLHeatMapCountsOpenRisks(t *testing.T) {
	doc, _ := renderHTML(t)
	// want[likelihood][consequence] counts the seeded register's Open risks.
	var want [6][6]int
	for _, c := range seeded().Clusters {
		for _, r := range c.Risks {
			if r.Status.State == isms.StateOpen {
				want[r.Spec.Likelihood][r.Spec.Consequence]++
			}
		}
	}
	// And by hand, so that the count above is not checked against itself alone: two
	// clusters share (2,5); Accepted, Resolved and Closed risks are not counted.
	nonZero := map[[2]int]int{{2, 5}: 2, {3, 3}: 1, {4, 5}: 1, {2, 4}: 2}

	cellNodes := elements(doc, hasAttr("data-count"))
	if len(cellNodes) != 25 {
		t.Fatalf("got %d heat-map cells, want 25", len(cellNodes))
	}
	var order [][2]int
	for _, n := range cellNodes {
		l, c, count := intAttr(t, n, "data-likelihood"), intAttr(t, n, "data-consequence"), intAttr(t, n, "data-count")
		order = append(order, [2]int{l, c})
		if count != want[l][c] || count != nonZero[[2]int{l, c}] {
			t.Errorf("cell likelihood %d x consequence %d: data-count %d, want %d", l, c, count, want[l][c])
		}
		if got := text(n); !strings.HasPrefix(got, strconv.Itoa(count)+" ") {
			t.Errorf("cell %d x %d shows %q, want the count %d first", l, c, got, count)
		}
		wantRating := string(riskmatrix.NPSA.Rating(int32(l * c)))
		if class, _ := attr(n, "class"); !slices.Contains(strings.Fields(class), "rating-"+wantRating) {
			t.Errorf("cell %d x %d has class %q, want it coloured rating-%s", l, c, class, wantRating)
		}
	}
	// Likelihood 5 down to 1 as rows, consequence 1 to 5 as columns.
	var wantOrder [][2]int
	for l := 5; l >= 1; l-- {
		for c := 1; c <= 5; c++ {
			wantOrder = append(wantOrder, [2]int{l, c})
		}
	}
	if diff := cmp.Diff(wantOrder, order); diff != "" {
		t.Errorf("cell order mismatch (-want +got):\n%s", diff)
	}
	heatmap := elements(doc, func(n *html.Node) bool { v, _ := attr(n, "class"); return n.Data == "table" && v == "heatmap" })
	if len(heatmap) != 1 {
		t.Fatalf("want one heat map table, got %d", len(heatmap))
	}
	var headers []string
	for _, th := range elements(heatmap[0], func(n *html.Node) bool { return n.Data == "th" }) {
		headers = append(headers, text(th))
	}
	wantHeaders := []string{"Likelihood", "Consequence", "1 Negligible", "2 Minor", "3 Moderate", "4 Major", "5 Catastrophic",
		"5 Almost certain", "4 Likely", "3 Possible", "2 Unlikely", "1 Rare"}
	if diff := cmp.Diff(wantHeaders, headers); diff != "" {
		t.Errorf("heat map headers mismatch (-want +got):\n%s", diff)
	}
}

func intAttr(t *testing.T, n *html.Node, key string) int {
	t.Helper()
	v, _ := attr(n, key)
	i, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q is not a number", key, v)
	}
	return i
}

func TestWriteHTMLSections(t *testing.T) {
	doc, _ := renderHTML(t)

	if got := text(elements(doc, func(n *html.Node) bool { v, _ := attr(n, "class"); return v == "meta" })[0]); got != "Generated 2026-11-23 12:00 UTC from clusters: alpha, beta" {
		t.Errorf("title line = %q", got)
	}

	// Compliance by control family: passing, failing, of which accepted, not evaluated, pass rate.
	families := map[string][]string{}
	for _, row := range elements(doc, hasAttr("data-family")) {
		v, _ := attr(row, "data-family")
		families[v] = cells(row)[2:]
	}
	wantFamilies := map[string][]string{
		"EncryptedAtRest":    {"1", "1", "0", "0", "50%"},
		"EncryptedInTransit": {"2", "2", "1", "1", "50%"},
		"BackedUp":           {"4", "0", "0", "4", "100%"},
		"AccessControlled":   {"10", "2", "0", "4", "83%"},
		"Reviewed":           {"1", "1", "0", "1", "50%"},
		"ContinuityPlanned":  {"1", "1", "0", "0", "50%"},
	}
	if diff := cmp.Diff(wantFamilies, families); diff != "" {
		t.Errorf("families mismatch (-want +got):\n%s", diff)
	}

	// Coverage by standard: each reference, its controls, passing, failing, not evaluated, rate.
	references := map[string][]string{}
	var order []string
	for _, row := range elements(doc, hasAttr("data-reference")) {
		v, _ := attr(row, "data-reference")
		references[v] = cells(row)
		order = append(order, v)
	}
	for ref, want := range map[string][]string{
		"iso27001-2022:A.8.24": {"A.8.24", "ENC-01, ENC-02, ENC-03", "3", "3", "1", "50%"},
		"caf-3.2:B5.c":         {"B5.c", "BAK-01, BAK-02", "4", "0", "4", "100%"},
		"ndg:1":                {"1", "GOV-01", "1", "1", "1", "50%"},
		"nhs-cop-2007:31-33":   {"31-33", "GOV-01", "1", "1", "1", "50%"},
	} {
		if diff := cmp.Diff(want, references[ref]); diff != "" {
			t.Errorf("coverage of %s mismatch (-want +got):\n%s", ref, diff)
		}
	}
	var prefixes []string
	for _, ref := range order {
		prefix, _, _ := strings.Cut(ref, ":")
		if len(prefixes) == 0 || prefixes[len(prefixes)-1] != prefix {
			prefixes = append(prefixes, prefix)
		}
	}
	if diff := cmp.Diff([]string{"iso27001-2022", "caf-3.2", "ndg", "nhs-cop-2007"}, prefixes); diff != "" {
		t.Errorf("standards mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"iso27001-2022:A.5.9", "iso27001-2022:A.5.12", "iso27001-2022:A.5.15"}, order[:3]); diff != "" {
		t.Errorf("references are not in natural order (-want +got):\n%s", diff)
	}

	// Compliance by asset, plans and overdue reviews: the rows as a reader sees them,
	// keyed by their first three cells and, as tables differ in width, their cell count.
	rows := map[string][]string{}
	for _, tr := range elements(doc, func(n *html.Node) bool { return n.Data == "tr" }) {
		if c := cells(tr); len(c) > 2 {
			rows[strings.Join(c[:3], "|")+"/"+strconv.Itoa(len(c))] = c
		}
	}
	for key, want := range map[string][]string{
		"alpha|epr|appointments/11": {"alpha", "epr", "appointments", "Jane Smith <jane.smith@nhs.net>", "OFFICIAL", "Medium", "2/4", "False", "ACC-01, ACC-03 (Recommended)", "1", "0"},
		"beta|web|public-site/11":   {"beta", "web", "public-site", "Jane Smith <jane.smith@nhs.net>", "OFFICIAL", "Low", "—", "not evaluated", "—", "0", "0"},
		"beta|hr|hr-continuity/10": {"beta", "hr", "hr-continuity", "staff-records, payroll", "1h30m", "24h",
			"False staff-records: the newest backup is older than the RPO.", "2026-11-20 02:00 UTC", "—", "2026-10-01 00:00 UTC (overdue)"},
		"alpha|epr/supplier-outage|EPR supplier outage <script>alert(\"x\")</script>/7": {"alpha", "epr/supplier-outage",
			`EPR supplier outage <script>alert("x")</script>`, "Jane Smith <jane.smith@nhs.net>", "20 Extreme", "Open", "2026-10-01"},
		"alpha|epr|patient-records/11": {"alpha", "epr", "patient-records", "Jane Smith <jane.smith@nhs.net>", "OFFICIAL-SENSITIVE", "Critical", "9/10", "False", "ENC-01, ENC-03 (Recommended)", "2", "0"},
		"beta|hr|staff-records/11":     {"beta", "hr", "staff-records", "Sam Patel", "OFFICIAL", "High", "6/9", "False", "ENC-02 (accepted), GOV-01, BCP-01", "2", "1"},
		"beta|hr|staff-records/5":      {"beta", "hr", "staff-records", "Sam Patel", "never"},
	} {
		if diff := cmp.Diff(want, rows[key]); diff != "" {
			t.Errorf("row %s mismatch (-want +got):\n%s", key, diff)
		}
	}
	overdue := elements(doc, func(n *html.Node) bool { return n.Data == "td" && text(n) == "epr/patient-records-enc-01" })
	if len(overdue) != 0 {
		t.Error("a risk whose review is not overdue is listed as overdue")
	}
}

func TestWriteHTMLOfAnEmptyRegister(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, &Register{}, now); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(elements(doc, hasAttr("data-count"))); got != 25 {
		t.Errorf("an empty register shows %d heat-map cells, want all 25 at zero", got)
	}
	for _, want := range []string{"No information assets are registered.", "No continuity plans are registered.", "No risk review is overdue."} {
		if !strings.Contains(text(doc), want) {
			t.Errorf("the empty report does not say %q", want)
		}
	}
}

// TestWriteHTMLRendersInChromium opens the report in headless Chromium and takes a
// screenshot, to catch a document that parses but does not render. The PNG is kept in
// the test's temporary directory; set REPORT_SCREENSHOT_DIR to keep a copy.
func TestWriteHTMLRendersInChromium(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not found (apt-get install chromium to run this test): %v", chromium, err)
	}
	dir := t.TempDir()
	page, png := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.png")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, seeded(), now); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+png, "--window-size=1280,2000", "file://"+page)
	cmd.Env = append(os.Environ(), "HOME="+dir) // Chromium writes caches under HOME.
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("chromium timed out: %s", out)
	}
	if err != nil {
		t.Fatalf("chromium failed: %v\n%s", err, out)
	}
	info, err := os.Stat(png)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out)
	}
	if info.Size() <= 10*1024 {
		t.Errorf("the screenshot is %d bytes, want more than 10 KB: the page may be blank", info.Size())
	}
	if keep := os.Getenv("REPORT_SCREENSHOT_DIR"); keep != "" {
		data, err := os.ReadFile(png)
		if err == nil {
			err = os.WriteFile(filepath.Join(keep, "report.png"), data, 0o600)
		}
		if err != nil {
			t.Errorf("keeping the screenshot: %v", err)
		}
	}
}

// TestHeatMapUsesTheTrustsBands: with the bands a trust's operators run with, the heat map
// is coloured by them, and a Risk the operator has not scored is rated by them too.
func TestHeatMapUsesTheTrustsBands(t *testing.T) {
	strict, err := riskmatrix.Parse("Low=1-2,Moderate=3-4,High=5-9,Extreme=10-25")
	if err != nil {
		t.Fatal(err)
	}
	reg := seeded()
	reg.Bands = &strict
	var buf bytes.Buffer
	if err := WriteHTML(&buf, reg, now); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range elements(doc, hasAttr("data-count")) {
		l, c := intAttr(t, n, "data-likelihood"), intAttr(t, n, "data-consequence")
		want := string(strict.Rating(int32(l * c)))
		if rating, _ := attr(n, "data-rating"); rating != want {
			t.Errorf("cell %d x %d is rated %s, want %s under the trust's bands", l, c, rating, want)
		}
	}
	if !strings.Contains(text(doc), strict.String()) {
		t.Errorf("the report does not say which bands colour the heat map (%s)", strict)
	}
	// payroll-export (2 x 5 = 10), unscored by the operator, is Extreme under these bands.
	for _, row := range riskRows(sortedClusters(reg), reg.bands(), now) {
		if row.ID == "hr/payroll-export" && row.Rating != string(isms.RatingExtreme) {
			t.Errorf("the unscored risk is rated %s, want Extreme under the trust's bands", row.Rating)
		}
	}
}

// TestWriteHTMLNamesUnevaluatedAssets: an asset no operator has evaluated (outside the
// namespaces it works in) is named as such, not counted among the compliant ones.
func TestWriteHTMLNamesUnevaluatedAssets(t *testing.T) {
	doc, _ := renderHTML(t)
	found := elements(doc, func(n *html.Node) bool { id, _ := attr(n, "id"); return id == "unevaluated" })
	if len(found) != 1 {
		t.Fatalf("the report has %d paragraphs of unevaluated assets, want 1", len(found))
	}
	got := text(found[0])
	if !strings.Contains(got, "/web/public-site") || strings.Contains(got, "patient-records") || !strings.Contains(got, "--watch-namespaces") {
		t.Errorf("the unevaluated assets paragraph says %q; want public-site alone, and why", got)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, &Register{}, now); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `id="unevaluated"`) {
		t.Error("a register with no asset says some are not evaluated")
	}
}
