package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/isms-operator/isms-operator/internal/report"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
)

// reportWriters are the output formats of report.
var reportWriters = map[string]func(io.Writer, *report.Register, time.Time) error{
	"csv":       report.WriteCSV,
	"json":      report.WriteJSON,
	"html":      report.WriteHTML,
	"soa":       report.WriteSoA,
	"incidents": report.WriteIncidentsCSV,
}

// Report runs `isms-operator report` with args (after the subcommand's name) and returns
// its exit code: 0 when the report was written, 1 when the clusters could not be read or
// the file written, 2 when the flags cannot be used.
func Report(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("isms-operator report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kubeconfig := fs.String("kubeconfig", "", "The kubeconfig to read; defaults to $KUBECONFIG, then ~/.kube/config.")
	var contexts repeated
	fs.Var(&contexts, "context", "A kubeconfig context to read the register from; repeat for several clusters, whose registers are merged with every row labelled by its context. Defaults to the current context.")
	output := fs.String("o", "html", "Output format: csv (the risk register), json, html (the board report), soa (the Statement of Applicability, as CSV) or incidents (the incident register, as CSV).")
	bands := fs.String("rating-bands", riskmatrix.NPSA.String(), "The rating bands the clusters' operators run with (their --rating-bands): they colour the heat map and rate a Risk not yet scored.")
	file := fs.String("output", "", "Write the report to this file instead of standard output; it is replaced only once the report is complete.")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: isms-operator report [--kubeconfig FILE] [--context NAME...] [-o csv|json|html|soa|incidents] [--output FILE]

Reads the information asset register, risk register, continuity plans and incident
register of one or more clusters and writes them for the SIRO, the IG lead and the DSPT.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadInput
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "isms-operator report: unexpected argument %q\n", fs.Arg(0))
		return exitBadInput
	}
	write, ok := reportWriters[*output]
	if !ok {
		fmt.Fprintf(stderr, "isms-operator report: -o %q: the format must be csv, json, html, soa or incidents\n", *output)
		return exitBadInput
	}
	matrix, err := riskmatrix.Parse(*bands)
	if err != nil {
		fmt.Fprintf(stderr, "isms-operator report: --rating-bands: %v\n", err)
		return exitBadInput
	}
	failed := func(err error) int {
		fmt.Fprintf(stderr, "isms-operator report: %v\n", err)
		return exitFailed
	}
	reg, err := report.Load(ctx, *kubeconfig, contexts)
	if err != nil {
		return failed(err)
	}
	reg.Bands = &matrix
	// The report goes on without those clusters' incidents: the HTML, JSON and SoA say so,
	// a CSV cannot, so say it here whatever the format.
	for _, name := range reg.IncidentsNotServed() {
		fmt.Fprintf(stderr, "isms-operator report: cluster %s does not serve SecurityIncidents: upgrade its CRDs; its incidents are not in the report\n", name)
	}
	now := time.Now()
	if *file == "" {
		if err := write(stdout, reg, now); err != nil {
			return failed(err)
		}
		return exitOK
	}
	if err := writeFile(*file, func(w io.Writer) error { return write(w, reg, now) }); err != nil {
		return failed(err)
	}
	return exitOK
}

// writeFile writes path through a temporary file beside it, so that a failure leaves the
// previous report whole.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--output: %w", err)
	}
	return nil
}
