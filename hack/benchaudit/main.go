// Command benchaudit times `isms-operator audit` against kube-score on the same manifests
// (make bench-audit): it writes an estate of Deployments, each with a PersistentVolumeClaim,
// a NetworkPolicy and an InformationAsset selecting it, spread over namespaces, runs each
// tool on it several times, and prints the median wall time and peak memory of each, and
// their ratios.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	deployments := flag.Int("deployments", 2000, "Deployments in the estate, each with a claim, a NetworkPolicy and an asset")
	namespaces := flag.Int("namespaces", 20, "namespaces to spread them over")
	runs := flag.Int("runs", 5, "runs of each tool; the medians are reported")
	audit := flag.String("audit", "bin/isms-operator", "the isms-operator binary")
	kubeScore := flag.String("kube-score", "", "the kube-score binary")
	keep := flag.String("estate", "", "write the estate to this file and keep it (for profiling); a temporary file when empty")
	flag.Parse()
	if err := run(*deployments, *namespaces, *runs, *audit, *kubeScore, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "benchaudit:", err)
		os.Exit(1)
	}
}

// measurement is one tool's medians over the runs.
type measurement struct {
	wall time.Duration
	rss  int64 // bytes
}

func run(deployments, namespaces, runs int, audit, kubeScore, estate string) error {
	if kubeScore == "" {
		return errors.New("-kube-score is required (make bench-audit builds it)")
	}
	if estate == "" {
		dir, err := os.MkdirTemp("", "isms-benchaudit-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		estate = filepath.Join(dir, "estate.yaml")
	}
	if err := os.WriteFile(estate, []byte(manifests(deployments, namespaces)), 0o644); err != nil {
		return err
	}
	fmt.Printf("==> %d Deployments, each with a claim, a NetworkPolicy and an InformationAsset, in %d namespaces\n", deployments, namespaces)
	tools := []struct {
		name string
		args []string
	}{
		{"isms-operator audit", []string{audit, "audit", "-f", estate, "-o", "json", "--now", "2026-11-01T09:00:00Z"}},
		{"kube-score", []string{kubeScore, "score", "--output-format", "ci", estate}},
	}
	results := map[string]measurement{}
	for _, tool := range tools {
		m, err := measure(tool.args, runs)
		if err != nil {
			return fmt.Errorf("%s: %w", tool.name, err)
		}
		results[tool.name] = m
	}
	a, k := results["isms-operator audit"], results["kube-score"]
	t := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(t, "\ntool\twall time (median of %d)\tpeak RSS (median)\n", runs)
	fmt.Fprintf(t, "isms-operator audit\t%s\t%.0f MiB\n", a.wall.Round(time.Millisecond), float64(a.rss)/(1<<20))
	fmt.Fprintf(t, "kube-score\t%s\t%.0f MiB\n", k.wall.Round(time.Millisecond), float64(k.rss)/(1<<20))
	fmt.Fprintf(t, "audit / kube-score\t%.2fx\t%.2fx\n", a.wall.Seconds()/k.wall.Seconds(), float64(a.rss)/float64(k.rss))
	return t.Flush()
}

// measure runs a command several times and returns its median wall time and peak RSS. Both
// tools exit 1 when they find problems, which the estate has: only other codes fail.
func measure(args []string, runs int) (measurement, error) {
	var walls []time.Duration
	var rsss []int64
	for range runs {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = nil, nil
		started := time.Now()
		err := cmd.Run()
		wall := time.Since(started)
		var exit *exec.ExitError
		if err != nil && (!errors.As(err, &exit) || exit.ExitCode() > 1) {
			return measurement{}, err
		}
		walls = append(walls, wall)
		rsss = append(rsss, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss*1024)
	}
	slices.Sort(walls)
	slices.Sort(rsss)
	return measurement{wall: walls[len(walls)/2], rss: rsss[len(rsss)/2]}, nil
}

// manifests is the estate as YAML: a Deployment per asset, with its claim, NetworkPolicy and
// InformationAsset, the namespaces and an encrypting StorageClass.
func manifests(deployments, namespaces int) string {
	var b strings.Builder
	b.WriteString(`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: encrypted}
provisioner: ebs.csi.aws.com
parameters: {encrypted: "true"}
`)
	for n := range namespaces {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ward-%02d}\n", n)
	}
	for i := range deployments {
		ns, name := fmt.Sprintf("ward-%02d", i%namespaces), fmt.Sprintf("app-%04d", i)
		fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  replicas: 2
  selector: {matchLabels: {app: %[2]s}}
  template:
    metadata: {labels: {app: %[2]s}}
    spec:
      serviceAccountName: %[2]s
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 10001, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: app
          image: registry.example.nhs.uk/%[2]s@sha256:0000000000000000000000000000000000000000000000000000000000000000
          imagePullPolicy: Always
          resources: {requests: {cpu: 100m, memory: 128Mi, ephemeral-storage: 1Gi}, limits: {cpu: 500m, memory: 256Mi, ephemeral-storage: 1Gi}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
          volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: %[2]s-data}}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: %[2]s-data, namespace: %[1]s}
spec: {storageClassName: encrypted, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  podSelector: {matchLabels: {app: %[2]s}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{podSelector: {matchLabels: {role: frontend}}}]}]
  egress: [{to: [{podSelector: {matchLabels: {role: database}}}]}]
---
apiVersion: isms.nhs.uk/v1alpha1
kind: InformationAsset
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  owner: {name: Bench Owner, email: owner@nhs.net}
  classification: OFFICIAL-SENSITIVE
  criticality: Medium
  selector: {matchLabels: {app: %[2]s}}
  review: {lastReviewed: "2026-10-01T00:00:00Z"}
`, ns, name)
	}
	return b.String()
}
