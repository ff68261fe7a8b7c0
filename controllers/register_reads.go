package controllers

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// risksOfAssets reads from the cache the Risks that name one of the assets of namespace ns.
func risksOfAssets(ctx context.Context, reader client.Reader, ns string, assets ...string) ([]isms.Risk, error) {
	var risks []isms.Risk
	for _, asset := range assets {
		var list isms.RiskList
		if err := reader.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{indexRiskAsset: asset}); err != nil {
			return nil, fmt.Errorf("reading the Risks of asset %s/%s: %w", ns, asset, err)
		}
		risks = append(risks, list.Items...)
	}
	return risks, nil
}

// incidentsOfAsset reads from the cache the SecurityIncidents against an asset of
// namespace ns.
func incidentsOfAsset(ctx context.Context, reader client.Reader, ns, asset string) ([]isms.SecurityIncident, error) {
	var list isms.SecurityIncidentList
	if err := reader.List(ctx, &list, client.InNamespace(ns), client.MatchingFields{indexIncidentAsset: asset}); err != nil {
		return nil, fmt.Errorf("reading the incidents of asset %s/%s: %w", ns, asset, err)
	}
	return list.Items, nil
}
