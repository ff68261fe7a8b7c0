package controllers

import (
	"context"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// optionalWatch watches a kind whose CRD may not be installed (Istio's PeerAuthentication,
// Velero's kinds, the CSI snapshotter's VolumeSnapshot) once the API server serves it.
// Until then, evidence from that kind is "none found", and the findings say which tool
// is missing.
type optionalWatch struct {
	gvk schema.GroupVersionKind
	// steps add the kind's indexes and watches to the cache and the controllers; done
	// counts those taken, so that a retry takes each once.
	steps []func() error
	done  int
	// synced waits until the kind's cache holds every object; nil when nothing is cached.
	synced func(ctx context.Context) error
	// onInstalled re-evaluates what the kind's absence decided; nil when nothing did.
	onInstalled func(ctx context.Context)
	installed   atomic.Bool
}

// Installed reports whether the kind is served and watched.
func (o *optionalWatch) Installed() bool { return o.installed.Load() }

// register takes the steps not taken yet.
func (o *optionalWatch) register() error {
	for ; o.done < len(o.steps); o.done++ {
		if err := o.steps[o.done](); err != nil {
			return err
		}
	}
	return nil
}

// optionalKinds watches the optional kinds the cluster serves from the start (watchServed,
// before the manager starts, so their caches sync before any evaluation), then looks for
// the others every interval, with one discovery request for them all (the API groups
// served), and starts each one's watch once it is served. It returns when every kind is
// watched.
type optionalKinds struct {
	watches   []*optionalWatch
	discovery discovery.ServerGroupsInterface
	mapper    meta.RESTMapper
	interval  time.Duration
}

func (o *optionalKinds) Start(ctx context.Context) error {
	logger := log.FromContext(ctx)
	for {
		pending := 0
		served, err := o.servedGroupVersions()
		if err != nil {
			logger.Error(err, "Could not list the API groups the cluster serves")
		}
		for _, w := range o.watches {
			if w.Installed() {
				continue
			}
			pending++
			if servable, err := o.servable(served, w); !servable {
				if err != nil {
					logger.Error(err, "Could not look up an optional kind", "kind", w.gvk.String())
				}
				continue
			}
			if err := w.register(); err != nil {
				logger.Error(err, "Could not watch an optional kind", "kind", w.gvk.String())
				continue
			}
			if w.synced != nil {
				if err := w.synced(ctx); err != nil {
					logger.Error(err, "Could not fill the cache of an optional kind", "kind", w.gvk.String())
					continue
				}
			}
			w.installed.Store(true)
			pending--
			logger.Info("Found an optional kind and started watching it", "kind", w.gvk.String())
			if w.onInstalled != nil {
				w.onInstalled(ctx)
			}
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.interval):
		}
	}
}

// watchServed registers, before the manager starts, the watches of the optional kinds the
// cluster serves now: the controllers then wait for their caches like any other.
func (o *optionalKinds) watchServed() error {
	served, err := o.servedGroupVersions()
	if err != nil {
		return err
	}
	for _, w := range o.watches {
		if servable, _ := o.servable(served, w); servable {
			if err := w.register(); err != nil {
				return err
			}
			w.installed.Store(true)
		}
	}
	return nil
}

// servable reports whether the cluster serves w's kind: its group version among those
// served, and the kind in it (the operator's own group is served without a kind its CRDs
// predate). The kind is looked up only in a group version served, which costs the mapper
// no discovery request for a group that is absent.
func (o *optionalKinds) servable(served map[schema.GroupVersion]bool, w *optionalWatch) (bool, error) {
	if !served[w.gvk.GroupVersion()] {
		return false, nil
	}
	if _, err := o.mapper.RESTMapping(w.gvk.GroupKind(), w.gvk.Version); err != nil {
		return false, err
	}
	return true, nil
}

// servedGroupVersions returns the group versions the API server serves.
func (o *optionalKinds) servedGroupVersions() (map[schema.GroupVersion]bool, error) {
	groups, err := o.discovery.ServerGroups()
	if err != nil {
		return nil, err
	}
	served := map[schema.GroupVersion]bool{}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			served[schema.GroupVersion{Group: g.Name, Version: v.Version}] = true
		}
	}
	return served, nil
}
