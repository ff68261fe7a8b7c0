package controllers

import (
	"context"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// optionalWatch watches a kind whose CRD may not be installed (Istio's PeerAuthentication,
// Velero's kinds, the CSI snapshotter's VolumeSnapshot): it looks for the kind when the
// manager starts and every interval after, and starts the watch once the API server serves it.
// Until then, evidence from that kind is "none found", and the findings say which tool
// is missing.
type optionalWatch struct {
	gvk      schema.GroupVersionKind
	mapper   meta.RESTMapper
	interval time.Duration
	// watch starts the watch and waits until its cache has synced; called when the kind is
	// served, again after a failure.
	watch func(ctx context.Context) error
	// onInstalled re-evaluates what the kind's absence decided.
	onInstalled func(ctx context.Context)
	installed   atomic.Bool
}

// Installed reports whether the kind is served and watched.
func (o *optionalWatch) Installed() bool { return o.installed.Load() }

// Start polls until the kind is served, then starts the watch and returns.
func (o *optionalWatch) Start(ctx context.Context) error {
	logger := log.FromContext(ctx).WithValues("kind", o.gvk.String())
	for {
		_, err := o.mapper.RESTMapping(o.gvk.GroupKind(), o.gvk.Version)
		switch {
		case err == nil:
			if err := o.watch(ctx); err != nil {
				logger.Error(err, "Could not watch an optional kind")
				break
			}
			o.installed.Store(true)
			logger.Info("Found an optional kind and started watching it")
			o.onInstalled(ctx)
			return nil
		case !meta.IsNoMatchError(err):
			logger.Error(err, "Could not look up an optional kind")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(o.interval):
		}
	}
}
