package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
	"github.com/isms-operator/isms-operator/internal/register"
)

// driftKind is one way of breaking a compliant asset's control with a single API write.
type driftKind struct {
	control isms.ControlID
	// apply writes the drift and returns the key and resourceVersion the bare watch must
	// see (resourceVersion "" for a deletion).
	apply func(ctx context.Context, c client.Client, a assetRef) (key, rv string, err error)
}

var driftKinds = []driftKind{
	{isms.ControlPodSecurity, func(ctx context.Context, c client.Client, a assetRef) (string, string, error) {
		d := deployment(a, 0, true) // the same Deployment, now with a privileged container
		return update(ctx, c, "Deployment", d, &appsv1.Deployment{})
	}},
	{isms.ControlIngressTLS, func(ctx context.Context, c client.Client, a assetRef) (string, string, error) {
		return update(ctx, c, "Ingress", ingress(a, true), &networkingv1.Ingress{})
	}},
	{isms.ControlNetworkIsolation, func(ctx context.Context, c client.Client, a assetRef) (string, string, error) {
		np := networkPolicy(a)
		return "NetworkPolicy/" + a.namespace + "/" + a.name, "", c.Delete(ctx, np)
	}},
	{isms.ControlServiceAccount, func(ctx context.Context, c client.Client, a assetRef) (string, string, error) {
		d := deployment(a, 0, false)
		d.Spec.Template.Spec.ServiceAccountName = "" // the namespace's default ServiceAccount
		return update(ctx, c, "Deployment", d, &appsv1.Deployment{})
	}},
}

// update replaces the live object's spec with desired's in one write.
func update(ctx context.Context, c client.Client, kind string, desired, live client.Object) (string, string, error) {
	if err := c.Get(ctx, client.ObjectKeyFromObject(desired), live); err != nil {
		return "", "", err
	}
	desired.SetResourceVersion(live.GetResourceVersion())
	if err := c.Update(ctx, desired); err != nil {
		return "", "", err
	}
	return kind + "/" + desired.GetNamespace() + "/" + desired.GetName(), desired.GetResourceVersion(), nil
}

// timeDrifts breaks one control of each of up to n compliant assets, one at a time, and
// returns how long each took to show as an Open Risk and, for the same write, how long a
// bare watch took to see it.
func timeDrifts(ctx context.Context, c client.Client, w *watches, e estate, n int) (latencies, floors []time.Duration, err error) {
	return timeDriftsFrom(ctx, c, w, e, 0, n, nil)
}

// timeDriftsDuringBursts does as timeDrifts, on n compliant assets after the first skip
// and outside the first namespace, each drift right after the workload every burst asset
// selects changed, so that the drift waits behind e.burst reconciles if anything does.
func timeDriftsDuringBursts(ctx context.Context, c client.Client, w *watches, e estate, skip, n int) ([]time.Duration, error) {
	shared := deployment(assetRef{namespace: e.namespace(0), name: "shared"}, 0, false)
	shared.Spec.Template.Labels[sharedLabel] = "true"
	round := 0
	burst := func() error {
		round++
		shared.Spec.Template.Annotations = map[string]string{"isms.bench/round": fmt.Sprint(round)}
		_, _, err := update(ctx, c, "Deployment", shared, &appsv1.Deployment{})
		return err
	}
	latencies, _, err := timeDriftsFrom(ctx, c, w, e, skip, n, burst)
	return latencies, err
}

// timeDriftsFrom times up to n drifts of the compliant assets after the first skip, each
// after before (when set) ran.
func timeDriftsFrom(ctx context.Context, c client.Client, w *watches, e estate, skip, n int, before func() error) (latencies, floors []time.Duration, err error) {
	compliant := 0
	for i := 0; i < e.assets && len(latencies) < n; i++ {
		if e.drifting(i) {
			continue
		}
		if compliant++; compliant <= skip || (before != nil && e.namespace(i) == e.namespace(0)) {
			continue
		}
		if before != nil {
			if err := before(); err != nil {
				return nil, nil, fmt.Errorf("starting a burst: %w", err)
			}
		}
		a := e.asset(i)
		kind := driftKinds[len(latencies)%len(driftKinds)]
		started := time.Now()
		key, rv, err := kind.apply(ctx, c, a)
		if err != nil {
			return nil, nil, fmt.Errorf("drifting %s/%s: %w", a.namespace, a.name, err)
		}
		seen, err := w.seenAt(key, rv, time.Minute)
		if err != nil {
			return nil, nil, err
		}
		opened, err := w.riskOpenAt(a.namespace+"/"+register.Name(a.name, kind.control), time.Minute)
		if err != nil {
			return nil, nil, err
		}
		latencies = append(latencies, opened.Sub(started))
		floors = append(floors, seen.Sub(started))
	}
	return latencies, floors, nil
}
