// Package webhook is the operator's mutating admission webhooks, which record who wrote
// the parts of the register a person answers for, as the API server authenticated them:
// who made a Risk's Tolerate decision (RiskAdmission), and who recorded a
// SecurityIncident's notifications or its decision not to notify (IncidentAdmission).
// Everything else about who may write what is a rule the API server enforces itself
// (ValidatingAdmissionPolicies in config/admission, and CRD transition rules), so it holds
// while the webhooks are down. CertificateKeeper keeps the webhooks' certificates.
package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// writer is who makes an admission request, and when.
type writer struct {
	user string
	at   string // RFC 3339, UTC
}

// admitted returns the request in ctx: its writer, at now (time.Now when nil), and the
// object as stored before an update, decoded into old; it reports whether there was one
// (false on create).
func admitted(ctx context.Context, now func() time.Time, old any) (writer, bool, error) {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return writer{}, false, err
	}
	at := time.Now()
	if now != nil {
		at = now()
	}
	w := writer{user: req.UserInfo.Username, at: at.UTC().Format(time.RFC3339)}
	if len(req.OldObject.Raw) == 0 {
		return w, false, nil
	}
	if err := json.Unmarshal(req.OldObject.Raw, old); err != nil {
		return w, false, fmt.Errorf("decoding the stored %s: %w", req.Kind.Kind, err)
	}
	return w, true, nil
}

// recordPair is a pair of annotations in which admission records who wrote a part of an
// object (by) and when (at).
type recordPair struct{ by, at string }

// record returns annotations with the pair as it must stand: no pair when the part is
// absent; the writer's when the request writes it (makes it, or changes it); otherwise the
// pair as stored, which undoes a client's edit of it. stored are the stored object's
// annotations (nil on create, when a present part is always written).
func (p recordPair) record(annotations, stored map[string]string, present, written bool, w writer) map[string]string {
	switch {
	case !present:
		delete(annotations, p.by)
		delete(annotations, p.at)
	case written:
		annotations = set(annotations, p.by, w.user)
		annotations[p.at] = w.at
	default:
		for _, key := range []string{p.by, p.at} {
			if value, found := stored[key]; found {
				annotations = set(annotations, key, value)
			} else {
				delete(annotations, key)
			}
		}
	}
	return annotations
}

func set(annotations map[string]string, key, value string) map[string]string {
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[key] = value
	return annotations
}
