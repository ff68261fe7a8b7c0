package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/controls"
)

// crowded is a register as a large trust's looks: kubeconfig contexts named as the cloud
// CLIs name them (long, no spaces), namespaces and asset names of 40 to 63 characters
// with no space to break at, owners with long names and addresses, assets failing all 11
// controls, long risk titles, plans covering many assets, and incidents against many of
// them, foreseen by many Risks, with long justifications and lessons. The report must fit it in a
// 1280-pixel browser window as well as the seeded one.
func crowded() *Register {
	clusters := []string{
		"arn:aws:eks:eu-west-2:123456789012:cluster/nhs-trust-production-clinical-systems",
		"gke_nhs-trust-disaster-recovery_europe-west2_clinical-systems-dr",
	}
	namespaces := []string{
		"electronic-patient-record-integration-services",
		"pathology-laboratory-information-management-system",
		"human-resources-electronic-staff-record-interfaces",
	}
	owner := isms.Person{Name: "Dr Alexandra Montgomery-Fitzwilliam-Hargreaves", Email: "alexandra.montgomery-fitzwilliam-hargreaves@nhs.net"}
	var ids []isms.ControlID
	for _, c := range controls.Catalogue {
		ids = append(ids, c.ID)
	}
	reg := &Register{}
	for ci, clusterName := range clusters {
		cluster := Cluster{Name: clusterName}
		for ni, ns := range namespaces {
			var planAssets []isms.LocalObjectReference
			for i := range 8 {
				name := fmt.Sprintf("patient-administration-system-appointments-referrals-%02d", i)
				a := asset(ns, name, isms.ClassificationOfficialSensitive, isms.CriticalityCritical, isms.DataPatientIdentifiable)
				a.Spec.Owner = owner
				a.Spec.ContinuityPlanRef = &isms.LocalObjectReference{Name: ns + "-continuity"}
				a.Status.Compliance = "0+11/11"
				a.Status.Conditions = familyConditions(metav1.ConditionFalse, map[string]metav1.ConditionStatus{isms.ConditionReviewed: metav1.ConditionFalse})
				evaluated(&a, ids)
				cluster.Assets = append(cluster.Assets, a)
				planAssets = append(planAssets, isms.LocalObjectReference{Name: name})
				for k, id := range ids {
					r := risk(ns, name+"-"+strings.ToLower(string(id)), isms.SourceDetected, name, id, 4, 5, isms.StateOpen)
					if k%3 == 0 {
						r.Status.State = isms.StateAccepted
					}
					r.Status.Rating = isms.RatingExtreme
					r.Spec.Title = "The " + string(id) + " control of " + name + " fails: " +
						"its workloads in " + ns + " do not meet the control at level Required"
					r.Spec.Owner = owner
					r.Spec.Review = &isms.RiskReview{LastReviewed: atp("2025-01-01T00:00:00Z")}
					r.Status.Conditions = []metav1.Condition{cond(isms.ConditionReviewOverdue, metav1.ConditionTrue)}
					cluster.Risks = append(cluster.Risks, r)
				}
			}
			cluster.Plans = append(cluster.Plans, isms.ContinuityPlan{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: ns + "-continuity"},
				Spec: isms.ContinuityPlanSpec{Owner: owner, Assets: planAssets,
					Objectives: &isms.RecoveryObjectives{RTO: dur("1h30m45s"), RPO: dur("15m30s")}},
				Status: isms.ContinuityPlanStatus{
					LastBackup:      atp("2026-11-20T02:00:00Z"),
					LastExercise:    &isms.ExerciseEvidence{Date: at("2025-09-15T10:00:00Z"), Type: isms.ExerciseTechnicalRestore, Source: "Restore/velero/x"},
					NextExerciseDue: atp(fmt.Sprintf("2026-%02d-01T00:00:00Z", 1+ci*3+ni)),
					Conditions: []metav1.Condition{{Type: isms.ConditionReady, Status: metav1.ConditionFalse, Reason: "BackupTooOld",
						Message: planAssets[0].Name + ": the newest backup (Backup/velero/" + ns + "-daily-20261120020000) is older than the RPO of 15m30s."}},
				},
			})
		}
		cluster.Incidents, cluster.IncidentsServed = crowdedIncidents(namespaces), true
		reg.Clusters = append(reg.Clusters, cluster)
	}
	return reg
}

// crowdedIncidents are, in each namespace, an open incident past its deadline against 8
// assets and foreseen by their 32 Risks, one decided not to notify at length, and one
// closed with long lessons.
func crowdedIncidents(namespaces []string) []isms.SecurityIncident {
	long := strings.Repeat("The export job's recipient check was bypassed by a misconfigured distribution list. ", 12)
	var out []isms.SecurityIncident
	for _, ns := range namespaces {
		var assets []string
		for i := range 8 {
			assets = append(assets, fmt.Sprintf("patient-administration-system-appointments-referrals-%02d", i))
		}
		overdue := incident(ns, "patient-administration-system-referrals-export-misdirected-01",
			"Referral letters for 4,000 patients exported to an unintended external recipient through a misconfigured distribution list",
			"2026-11-18T08:00:00Z", "2026-11-18T09:00:00Z", 5, 5, assets...)
		overdue.Spec.Actions = []isms.IncidentAction{{Kind: isms.ActionContainment, Description: "Recall."}}
		graded(&overdue, true, incidentCondition(isms.ConditionContained, metav1.ConditionFalse, "ContainmentPending", "1 of 1 containment actions not done"))
		for i := range 32 {
			overdue.Status.RisksAtDetection = append(overdue.Status.RisksAtDetection, isms.IncidentRisk{
				Name: fmt.Sprintf("%s-%s", assets[i%8], strings.ToLower(string(controls.Catalogue[i%len(controls.Catalogue)].ID))), Asset: assets[i%8],
				Control: controls.Catalogue[i%len(controls.Catalogue)].ID, State: isms.StateOpen})
		}
		decided := incident(ns, "patient-administration-system-referrals-export-misdirected-02", "Referral letter sent to a previous address",
			"2026-11-20T08:00:00Z", "2026-11-20T09:00:00Z", 2, 2, assets[0])
		decided.Spec.DecisionNotToNotify = &isms.NotificationDecision{Justification: long, DecidedBy: priya, DecidedAt: at("2026-11-21T09:00:00Z")}
		closed := incident(ns, "patient-administration-system-referrals-export-misdirected-03", overdue.Spec.Title,
			"2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z", 4, 4, assets...)
		closed.Spec.Notifications = &isms.IncidentNotifications{ICO: &isms.RegulatorNotification{Reference: "DSPT-26-0601-0123456789-ABCDEFGHIJ",
			NotifiedAt: at("2026-06-05T09:30:00Z"), NotifiedBy: priya}}
		closed.Spec.LessonsLearned = long
		closed.Spec.Closure = &isms.IncidentClosure{ClosedAt: at("2026-07-01T09:00:00Z"), ClosedBy: priya}
		graded(&closed, true)
		out = append(out, overdue, decided, closed)
	}
	return out
}

// viewportWidth is the width the report must fit: a 1280-pixel browser window less its
// vertical scroll bar and borders.
const viewportWidth = 1280

// TestWriteHTMLFitsA1280PixelWindow checks what keeps every section of the report inside
// a 1280-pixel window without a horizontal scroll bar, whatever the register holds:
//   - the page is at most 1280px wide (max-width on the body, with box-sizing: border-box
//     so that its padding counts within it);
//   - every table but the heat map takes the page's width and no more (width: 100%) and
//     sizes its columns from a colgroup, in percentages that add up to at most 100%, not
//     from its content (table-layout: fixed);
//   - text wraps wherever it must (overflow-wrap: anywhere, inherited from the body, and
//     nothing sets white-space: nowrap), so a 63-character name with no space, a
//     kubeconfig context or an e-mail address wraps inside its cell;
//   - the narrow columns of Compliance by asset have short headers, each with its full
//     title, and the failing controls are listed one to a line.
//
// The heat map is exempt: it has six columns of bounded text and fixed-width cells.
// There is no browser in every test environment, so this checks the rules the layout
// rests on; TestWriteHTMLFitsA1280PixelWindowInChromium measures it where Chromium is.
func TestWriteHTMLFitsA1280PixelWindow(t *testing.T) {
	for name, reg := range map[string]*Register{"seeded": seeded(), "crowded": crowded()} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteHTML(&buf, reg, now); err != nil {
				t.Fatal(err)
			}
			doc, err := xhtml.Parse(&buf)
			if err != nil {
				t.Fatal(err)
			}
			styles := elements(doc, func(n *xhtml.Node) bool { return n.Data == "style" })
			if len(styles) != 1 {
				t.Fatalf("want one <style> element, got %d", len(styles))
			}
			css := parseCSS(t, text(styles[0]))

			body := css.declarations("body")
			if w, ok := pixels(body["max-width"]); !ok || w > viewportWidth {
				t.Errorf("body { max-width: %q }: want a width in px of at most %dpx", body["max-width"], viewportWidth)
			}
			if body["overflow-wrap"] != "anywhere" {
				t.Errorf("body { overflow-wrap: %q }: want anywhere, so that a long name with no space wraps", body["overflow-wrap"])
			}
			if all := css.declarations("*"); all["box-sizing"] != "border-box" {
				t.Errorf("* { box-sizing: %q }: want border-box, so that padding and borders count within max-width and width: 100%%", all["box-sizing"])
			}
			tables := css.declarations("table")
			if tables["table-layout"] != "fixed" {
				t.Errorf("table { table-layout: %q }: want fixed, so that a table's columns follow the page's width, not their content", tables["table-layout"])
			}
			if tables["width"] != "100%" {
				t.Errorf("table { width: %q }: want 100%%", tables["width"])
			}
			for _, selector := range css.selectors {
				if strings.Contains(selector, "heatmap") {
					continue
				}
				for property, value := range css.rules[selector] {
					switch property {
					case "white-space":
						if strings.HasPrefix(value, "nowrap") || strings.HasPrefix(value, "pre") {
							t.Errorf("%s { white-space: %s }: text that cannot wrap can overflow the window", selector, value)
						}
					case "overflow-wrap", "word-wrap":
						if value != "anywhere" && value != "break-word" {
							t.Errorf("%s { %s: %s }: long names must wrap", selector, property, value)
						}
					case "width", "min-width":
						if w, ok := pixels(value); ok && w > viewportWidth/2 {
							t.Errorf("%s { %s: %s }: a fixed width that wide can overflow the window", selector, property, value)
						}
					}
				}
			}

			for _, table := range elements(doc, func(n *xhtml.Node) bool { return n.Data == "table" }) {
				if class, _ := attr(table, "class"); class == "heatmap" {
					continue
				}
				rows := elements(table, func(n *xhtml.Node) bool { return n.Data == "tr" })
				header := strings.Join(cellsOf(rows[0], "th"), "|")
				cols := elements(table, func(n *xhtml.Node) bool { return n.Data == "col" })
				if len(cols) != len(cellsOf(rows[0], "th")) {
					t.Errorf("table %q has %d <col> for %d columns: set each column's width", header, len(cols), len(cellsOf(rows[0], "th")))
					continue
				}
				total := 0.0
				for _, col := range cols {
					style, _ := attr(col, "style")
					m := colWidth.FindStringSubmatch(strings.TrimSpace(style))
					if m == nil {
						t.Errorf("table %q: <col style=%q>: want width: N%%", header, style)
						continue
					}
					w, _ := strconv.ParseFloat(m[1], 64)
					total += w
				}
				if total > 100.001 {
					t.Errorf("table %q: its columns add up to %.1f%% of its width", header, total)
				}
			}

			assets := elements(doc, func(n *xhtml.Node) bool { v, _ := attr(n, "class"); return n.Data == "table" && v == "assets" })
			if len(assets) != 1 {
				t.Fatalf("want one table of class assets (Compliance by asset), got %d", len(assets))
			}
			headers := elements(assets[0], func(n *xhtml.Node) bool { return n.Data == "th" })
			if len(headers) != 11 {
				t.Errorf("Compliance by asset has %d columns, want 11", len(headers))
			}
			for _, th := range headers {
				title, _ := attr(th, "title")
				if short := text(th); strings.HasSuffix(short, ".") && len(title) <= len(short) {
					t.Errorf("the abbreviated header %q has no title to spell it out (title=%q)", short, title)
				}
			}
			if name == "crowded" {
				// 11 failing controls, one to a line: 10 line breaks in the cell.
				for _, tr := range elements(assets[0], func(n *xhtml.Node) bool { return n.Data == "tr" })[1:] {
					tds := elements(tr, func(n *xhtml.Node) bool { return n.Data == "td" })
					if got := len(elements(tds[8], func(n *xhtml.Node) bool { return n.Data == "br" })); got != 10 {
						t.Errorf("the failing controls %q are on %d lines, want 11", text(tds[8]), got+1)
					}
				}
				// An open incident's 8 assets, one to a line, like the failing controls.
				incidents := elements(doc, func(n *xhtml.Node) bool { v, _ := attr(n, "class"); return n.Data == "table" && v == "incidents" })
				if len(incidents) != 1 {
					t.Fatalf("want one table of class incidents (open incidents), got %d", len(incidents))
				}
				tds := elements(elements(incidents[0], hasAttr("data-incident"))[0], func(n *xhtml.Node) bool { return n.Data == "td" })
				if got := len(elements(tds[3], func(n *xhtml.Node) bool { return n.Data == "br" })); got != 7 {
					t.Errorf("the incident's assets %q are on %d lines, want 8", text(tds[3]), got+1)
				}
			}
		})
	}
}

var colWidth = regexp.MustCompile(`^width:\s*([0-9.]+)%;?$`)

// cellsOf is the text of every element named tag under n.
func cellsOf(n *xhtml.Node, tag string) []string {
	var out []string
	for _, e := range elements(n, func(e *xhtml.Node) bool { return e.Data == tag }) {
		out = append(out, text(e))
	}
	return out
}

// stylesheet is the report's inline CSS, as selector -> property -> value.
type stylesheet struct {
	selectors []string
	rules     map[string]map[string]string
}

// declarations merges the declarations of every rule whose selector list includes
// selector (or is it), later rules winning, as the cascade does for equal specificity.
func (s stylesheet) declarations(selector string) map[string]string {
	out := map[string]string{}
	for _, sel := range s.selectors {
		match := sel == selector
		for _, part := range strings.Split(sel, ",") {
			if strings.TrimSpace(part) == selector {
				match = true
			}
		}
		if match {
			for property, value := range s.rules[sel] {
				out[property] = value
			}
		}
	}
	return out
}

// parseCSS reads the report's stylesheet: its plain rules, leaving out at-rules and their
// blocks (@media print does not lay out a window).
func parseCSS(t *testing.T, css string) stylesheet {
	t.Helper()
	css = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(css, "")
	// Cut each at-rule's block, braces and all.
	for {
		at := strings.Index(css, "@")
		if at < 0 {
			break
		}
		open := strings.Index(css[at:], "{")
		if open < 0 {
			t.Fatalf("the report's CSS has an at-rule without a block: %s", css[at:])
		}
		depth, end := 0, -1
		for i := at + open; i < len(css) && end < 0; i++ {
			switch css[i] {
			case '{':
				depth++
			case '}':
				if depth--; depth == 0 {
					end = i + 1
				}
			}
		}
		if end < 0 {
			t.Fatalf("the report's CSS has unbalanced braces: %s", css[at:])
		}
		css = css[:at] + css[end:]
	}
	s := stylesheet{rules: map[string]map[string]string{}}
	for _, m := range regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`).FindAllStringSubmatch(css, -1) {
		selector := strings.Join(strings.Fields(m[1]), " ")
		if s.rules[selector] == nil {
			s.selectors = append(s.selectors, selector)
			s.rules[selector] = map[string]string{}
		}
		for _, declaration := range strings.Split(m[2], ";") {
			if property, value, ok := strings.Cut(declaration, ":"); ok {
				s.rules[selector][strings.TrimSpace(property)] = strings.Join(strings.Fields(value), " ")
			}
		}
	}
	if strings.TrimSpace(regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`).ReplaceAllString(css, "")) != "" {
		t.Fatalf("the report's CSS has text outside its rules:\n%s", css)
	}
	return s
}

// pixels is the number of a CSS length in px.
func pixels(value string) (float64, bool) {
	if !strings.HasSuffix(value, "px") {
		return 0, false
	}
	n, err := strconv.ParseFloat(strings.TrimSuffix(value, "px"), 64)
	return n, err == nil
}

// layout is what the measuring script reports of the page as Chromium lays it out.
type layout struct {
	ClientWidth int `json:"clientWidth"`
	ScrollWidth int `json:"scrollWidth"`
	// Overflowing are the elements whose right edge passes the window's, and the cells
	// whose content is wider than they are.
	Overflowing []string `json:"overflowing"`
}

// TestWriteHTMLFitsA1280PixelWindowInChromium lays the crowded and the seeded report out in
// headless Chromium at a window width of 1280 pixels and fails if the page is wider than
// the window, or if any element passes its right edge or spills out of its table cell.
// The report has no script: the test adds one to a copy, to measure it.
func TestWriteHTMLFitsA1280PixelWindowInChromium(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s not found (apt-get install chromium to run this test): %v", chromium, err)
	}
	const measure = `<script>
const root = document.documentElement, out = [];
const describe = e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + " " + JSON.stringify(e.textContent.trim().slice(0, 60));
for (const e of document.body.querySelectorAll("*")) {
  const r = e.getBoundingClientRect();
  if (r.right > root.clientWidth + 0.5) out.push(describe(e) + " ends at " + r.right + "px");
  if ((e.tagName === "TD" || e.tagName === "TH") && e.scrollWidth > e.clientWidth + 1) out.push(describe(e) + " holds " + e.scrollWidth + "px in " + e.clientWidth + "px");
}
document.body.setAttribute("data-layout", JSON.stringify({clientWidth: root.clientWidth, scrollWidth: root.scrollWidth, overflowing: out.slice(0, 20)}));
</script>`
	for _, width := range []int{viewportWidth, 1024} {
		for name, reg := range map[string]*Register{"seeded": seeded(), "crowded": crowded()} {
			t.Run(fmt.Sprintf("%s at %dpx", name, width), func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteHTML(&buf, reg, now); err != nil {
					t.Fatal(err)
				}
				page := strings.Replace(buf.String(), "</body>", measure+"</body>", 1)
				got := layOut(t, chromium, page, width)
				if got.ClientWidth <= 0 || got.ClientWidth > width {
					t.Fatalf("the window is %dpx wide, want at most %dpx", got.ClientWidth, width)
				}
				if got.ScrollWidth > got.ClientWidth {
					t.Errorf("the page is %dpx wide in a %dpx window: it scrolls sideways", got.ScrollWidth, got.ClientWidth)
				}
				for _, o := range got.Overflowing {
					t.Errorf("overflows: %s", o)
				}
			})
		}
	}
}

// layOut opens page in headless Chromium with a window width wide and returns what the
// measuring script recorded.
func layOut(t *testing.T, chromium, page string, width int) layout {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size="+strconv.Itoa(width)+",900", "--dump-dom", "file://"+file)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		t.Fatalf("chromium timed out: %s", stderr.String())
	}
	if err != nil {
		t.Fatalf("chromium failed: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`data-layout="([^"]*)"`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the measuring script reported nothing:\n%s", stderr.String())
	}
	var got layout
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &got); err != nil {
		t.Fatal(err)
	}
	return got
}
