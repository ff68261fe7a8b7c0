package report

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// TestGoldenOutputs: each output of the seeded register (two clusters, their assets,
// risks, plans and incidents) is exactly its golden file, so any change to what a board,
// an IG lead or the DSPT reads shows in review.
func TestGoldenOutputs(t *testing.T) {
	for file, write := range map[string]func(io.Writer, *Register, time.Time) error{
		"risks.csv":     WriteCSV,
		"incidents.csv": WriteIncidentsCSV,
		"soa.csv":       WriteSoA,
		"report.json":   WriteJSON,
		"report.html":   WriteHTML,
	} {
		t.Run(file, func(t *testing.T) {
			var out bytes.Buffer
			if err := write(&out, seeded(), now); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", file)
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/report -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("%s differs from the golden file (-want +got); if the change is meant, run go test ./internal/report -update and review the diff:\n%s", file, diff)
			}
		})
	}
}
