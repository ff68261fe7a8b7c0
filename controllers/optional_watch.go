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
	// register adds the watches of the kind to the controllers (once each, whatever the
	// retries); synced waits until the kind's cache holds every object.
	register func() error
	synced   func(ctx context.Context) error
	// onInstalled re-evaluates what the kind's absence decided.
	onInstalled func(ctx context.Context)
	installed   atomic.Bool
}

// Installed reports whether the kind is served and watched.
func (o *optionalWatch) Installed() bool { return o.installed.Load() }

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
			if !served[w.gvk.GroupVersion()] {
				continue
			}
			if _, err := o.mapper.RESTMapping(w.gvk.GroupKind(), w.gvk.Version); err != nil {
				logger.Error(err, "Could not look up an optional kind", "kind", w.gvk.String())
				continue
			}
			if err := w.register(); err != nil {
				logger.Error(err, "Could not watch an optional kind", "kind", w.gvk.String())
				continue
			}
			if err := w.synced(ctx); err != nil {
				logger.Error(err, "Could not fill the cache of an optional kind", "kind", w.gvk.String())
				continue
			}
			w.installed.Store(true)
			pending--
			logger.Info("Found an optional kind and started watching it", "kind", w.gvk.String())
			w.onInstalled(ctx)
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
		// A group version may be served without this kind (the operator's own group, when
		// the cluster's CRDs predate the kind).
		if _, err := o.mapper.RESTMapping(w.gvk.GroupKind(), w.gvk.Version); served[w.gvk.GroupVersion()] && err == nil {
			if err := w.register(); err != nil {
				return err
			}
			w.installed.Store(true)
		}
	}
	return nil
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
