// Package cli holds the isms-operator subcommands that run outside a cluster's manager:
// `audit`, which evaluates manifests in a CI pipeline, and `report`, which writes the
// register for the board.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/isms-operator/isms-operator/internal/audit"
	"github.com/isms-operator/isms-operator/internal/controls"
	"github.com/isms-operator/isms-operator/internal/manifests"
)

// Exit codes of both subcommands.
const (
	exitOK = 0
	// exitFailed: audit found a Required control failing; report could not read a cluster
	// or write its file.
	exitFailed = 1
	// exitBadInput: the flags, or the manifests audit was given, cannot be used.
	exitBadInput = 2
)

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// auditWriters are the output formats of audit.
var auditWriters = map[string]func(io.Writer, *audit.Result) error{
	"table":       audit.WriteTable,
	"json":        audit.WriteJSON,
	"junit":       audit.WriteJUnit,
	"openreports": audit.WriteOpenReports,
}

// Audit runs `isms-operator audit` with args (after the subcommand's name) and returns its
// exit code: 0 when every Required control passes, 1 when one fails, 2 when the input or
// the flags cannot be used.
func Audit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("isms-operator audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files repeated
	fs.Var(&files, "f", "A manifest file, a directory (read recursively for .yaml, .yml and .json), or - for standard input; repeat for several.")
	output := fs.String("o", "table", "Output format: table, json, junit, or openreports (OpenReports Reports as YAML, one per namespace).")
	nowFlag := fs.String("now", "", "The time, RFC 3339, that review dates and backup ages are judged at; defaults to now. Fix it for reproducible output.")
	namespace := fs.String("n", "default", "Namespace of namespaced objects that name none, as kubectl apply -n.")
	exempt := fs.String("exempt-subjects", controls.FormatSubjects(controls.DefaultExemptSubjects), "Subjects ACC-03 never flags, as the operator's --exempt-subjects.")
	istioRoot := fs.String("istio-root-namespace", controls.DefaultIstioRootNamespace, "Namespace of Istio's mesh-wide PeerAuthentication.")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: isms-operator audit -f PATH [-f PATH...] [-o table|json|junit|openreports] [--now RFC3339]

Evaluates every InformationAsset in the manifests, with the operator's control catalogue,
against the objects the manifests hold. Exit status: 0 when every Required control passes,
1 when one fails, 2 when the input cannot be used.

`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadInput
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "isms-operator audit: "+format+"\n", a...)
		return exitBadInput
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q: give manifests with -f", fs.Arg(0))
	}
	if len(files) == 0 {
		return bad("-f: give at least one manifest file, directory, or - for standard input")
	}
	write, ok := auditWriters[*output]
	if !ok {
		return bad("-o %q: the format must be table, json or junit", *output)
	}
	now := time.Now()
	if *nowFlag != "" {
		var err error
		if now, err = time.Parse(time.RFC3339, *nowFlag); err != nil {
			return bad("--now %q: want an RFC 3339 time such as 2026-11-01T09:00:00Z", *nowFlag)
		}
	}
	subjects, err := controls.ParseSubjects(*exempt)
	if err != nil {
		return bad("--exempt-subjects: %v", err)
	}

	docs, problems, err := manifests.Read(files, stdin)
	if err != nil {
		return bad("%v", err)
	}
	result, err := audit.Run(ctx, docs, problems, audit.Options{Now: now, Namespace: *namespace, Exempt: subjects, IstioRootNamespace: *istioRoot})
	if err != nil {
		return bad("%v", err)
	}
	if err := write(stdout, result); err != nil {
		return bad("writing the output: %v", err)
	}
	if *output != "table" { // the table lists them itself
		for _, e := range result.Errors {
			fmt.Fprintf(stderr, "error: %s\n", e)
		}
	}
	switch {
	case result.Summary.Assets == 0:
		fmt.Fprintln(stderr, "isms-operator audit: the manifests hold no InformationAsset: nothing was audited")
		return exitBadInput
	case len(result.Errors) > 0:
		return exitBadInput
	case result.Summary.RequiredFailures > 0:
		return exitFailed
	}
	return exitOK
}
