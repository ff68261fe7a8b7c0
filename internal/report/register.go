// Package report turns the live risk register, information asset register and continuity
// plans of one or more clusters into what a SIRO or IG lead reports to the board and for
// the DSPT: a CSV risk register, a self-contained HTML report, and a Statement of
// Applicability.
package report

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/riskmatrix"
	"github.com/isms-operator/isms-operator/internal/scheme"
)

// Register is what the report reads: the registers of every cluster asked for.
type Register struct {
	Clusters []Cluster
	// Bands are the rating bands the clusters' operators use (their --rating-bands), which
	// colour the heat map and rate a Risk the operator has not scored yet; nil means the
	// NPSA bands.
	Bands *riskmatrix.Matrix
}

// bands are the rating bands of the report.
func (r *Register) bands() riskmatrix.Matrix {
	if r == nil || r.Bands == nil {
		return riskmatrix.NPSA
	}
	return *r.Bands
}

// Cluster is one cluster's registers, named as its kubeconfig context.
type Cluster struct {
	Name      string
	Assets    []isms.InformationAsset
	Risks     []isms.Risk
	Plans     []isms.ContinuityPlan
	Incidents []isms.SecurityIncident
	// IncidentsServed: the cluster serves SecurityIncidents. One whose CRDs predate the
	// kind has no incident register, which the report says rather than count none.
	IncidentsServed bool
}

// Load reads the registers of each kubeconfig context (the current one when none is
// given), from kubeconfig (the default loading rules when empty). A cluster that does not
// serve SecurityIncidents (the kind is unknown to it, or its CRD was removed) is read
// without them, with IncidentsServed false.
func Load(ctx context.Context, kubeconfig string, contexts []string) (*Register, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	if len(contexts) == 0 {
		raw, err := rules.Load()
		if err != nil {
			return nil, fmt.Errorf("reading the kubeconfig: %w", err)
		}
		if raw.CurrentContext == "" {
			return nil, fmt.Errorf("the kubeconfig sets no current-context: name the clusters with --context")
		}
		contexts = []string{raw.CurrentContext}
	}
	for i, name := range contexts {
		if slices.Contains(contexts[:i], name) {
			return nil, fmt.Errorf("--context %q is given twice: its register would be counted twice", name)
		}
	}
	reg := &Register{}
	for _, name := range contexts {
		cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: name}).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("context %q: %w", name, err)
		}
		c, err := client.New(cfg, client.Options{Scheme: scheme.New()})
		if err != nil {
			return nil, fmt.Errorf("context %q: %w", name, err)
		}
		cluster := Cluster{Name: name}
		var assets isms.InformationAssetList
		var risks isms.RiskList
		var plans isms.ContinuityPlanList
		for _, list := range []client.ObjectList{&assets, &risks, &plans} {
			if err := c.List(ctx, list); err != nil {
				return nil, fmt.Errorf("context %q: reading the register: %w", name, err)
			}
		}
		cluster.Assets, cluster.Risks, cluster.Plans = assets.Items, risks.Items, plans.Items
		var incidents isms.SecurityIncidentList
		switch err := c.List(ctx, &incidents); {
		case err == nil:
			cluster.Incidents, cluster.IncidentsServed = incidents.Items, true
		case !meta.IsNoMatchError(err) && !apierrors.IsNotFound(err):
			return nil, fmt.Errorf("context %q: reading the incident register: %w", name, err)
		}
		reg.Clusters = append(reg.Clusters, cluster)
	}
	return reg, nil
}
