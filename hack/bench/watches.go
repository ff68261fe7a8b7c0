package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	isms "github.com/isms-operator/isms-operator/api/v1alpha1"
)

// watches are the benchmark's own watches: bare watches of the objects it changes (the
// floor a drift's latency is compared with), and of the operator's kinds (Risks raised,
// assets evaluated, status writes). Every event is timestamped as it arrives.
type watches struct {
	mu sync.Mutex
	// seen holds, per object (kind/namespace/name), when each resourceVersion arrived,
	// and when it was deleted.
	seen    map[string]map[string]time.Time
	deleted map[string]time.Time
	// riskOpen holds when each Risk (namespace/name) was first seen Open.
	riskOpen map[string]time.Time
	// evaluated holds the assets whose Ready condition is for their current generation.
	evaluated map[string]bool
	// statusWrites counts updates of the operator's kinds.
	statusWrites atomic.Int64

	cancel context.CancelFunc
	done   sync.WaitGroup
}

func startWatches(ctx context.Context, c client.WithWatch) (*watches, error) {
	ctx, cancel := context.WithCancel(ctx)
	w := &watches{seen: map[string]map[string]time.Time{}, deleted: map[string]time.Time{},
		riskOpen: map[string]time.Time{}, evaluated: map[string]bool{}, cancel: cancel}
	for kind, list := range map[string]client.ObjectList{
		"Deployment": &appsv1.DeploymentList{}, "Ingress": &networkingv1.IngressList{}, "NetworkPolicy": &networkingv1.NetworkPolicyList{},
		"Risk": &isms.RiskList{}, "InformationAsset": &isms.InformationAssetList{}, "ContinuityPlan": &isms.ContinuityPlanList{},
	} {
		events, err := c.Watch(ctx, list)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("watching %ss: %w", kind, err)
		}
		w.done.Add(1)
		go func() {
			defer w.done.Done()
			defer events.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-events.ResultChan():
					if !ok {
						return
					}
					w.record(kind, ev, time.Now())
				}
			}
		}()
	}
	return w, nil
}

func (w *watches) stop() {
	w.cancel()
	w.done.Wait()
}

func (w *watches) record(kind string, ev watch.Event, at time.Time) {
	obj, err := meta.Accessor(ev.Object)
	if err != nil {
		return
	}
	key := kind + "/" + obj.GetNamespace() + "/" + obj.GetName()
	w.mu.Lock()
	defer w.mu.Unlock()
	if ev.Type == watch.Deleted {
		w.deleted[key] = at
		return
	}
	if w.seen[key] == nil {
		w.seen[key] = map[string]time.Time{}
	}
	w.seen[key][obj.GetResourceVersion()] = at
	if ev.Type == watch.Modified && (kind == "Risk" || kind == "InformationAsset" || kind == "ContinuityPlan") {
		w.statusWrites.Add(1)
	}
	switch o := ev.Object.(type) {
	case *isms.Risk:
		if _, opened := w.riskOpen[o.Namespace+"/"+o.Name]; !opened && o.Status.State == isms.StateOpen {
			w.riskOpen[o.Namespace+"/"+o.Name] = at
		}
	case *isms.InformationAsset:
		ready := meta.FindStatusCondition(o.Status.Conditions, isms.ConditionReady)
		w.evaluated[o.Namespace+"/"+o.Name] = ready != nil && ready.ObservedGeneration == o.Generation
	}
}

// poll calls check every few milliseconds until it returns true or timeout passes.
func poll(timeout time.Duration, what string, check func() bool) error {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if check() {
			return nil
		}
	}
	return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
}

func (w *watches) waitEvaluated(assets int, timeout time.Duration) error {
	return poll(timeout, "every asset to be evaluated", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		n := 0
		for _, ok := range w.evaluated {
			if ok {
				n++
			}
		}
		return n >= assets
	})
}

// seenAt waits until the bare watch delivered the object at resourceVersion rv (or its
// deletion, when rv is empty) and returns when.
func (w *watches) seenAt(key, rv string, timeout time.Duration) (time.Time, error) {
	var at time.Time
	err := poll(timeout, "the bare watch to see "+key, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		var ok bool
		if rv == "" {
			at, ok = w.deleted[key]
		} else {
			at, ok = w.seen[key][rv]
		}
		return ok
	})
	return at, err
}

// riskOpenAt waits until the Risk was seen Open and returns when.
func (w *watches) riskOpenAt(key string, timeout time.Duration) (time.Time, error) {
	var at time.Time
	err := poll(timeout, "Risk "+key+" to be Open", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		var ok bool
		at, ok = w.riskOpen[key]
		return ok
	})
	return at, err
}
