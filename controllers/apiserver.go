package controllers

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
)

// awaitInterval is how often a read waiting for an unreachable API server tries again.
const awaitInterval = 250 * time.Millisecond

// APIServer watches whether the API server answers the operator. Its transport makes the
// operator's reads (the caches' lists and watches among them) wait for an API server that
// does not answer, trying again every quarter second, instead of failing: client-go's
// informers back off exponentially after failures (up to a minute), so after an outage
// they would see the API server again only that long after it answers. Waiting in the
// transport, they see it within a quarter second. Writes are not retried here: they fail,
// and the reconcile that made them is retried.
//
// Ready reports, for the readiness probe, whether the API server answers: while it does
// not, the operator's caches are not being kept current.
type APIServer struct {
	mu sync.Mutex
	// unreachableSince is when the API server stopped answering; zero while it answers.
	unreachableSince time.Time
	lastError        error
}

// Wrap makes the operator's client configuration wait for the API server on reads.
func (a *APIServer) Wrap(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(next http.RoundTripper) http.RoundTripper { return &awaitTransport{next: next, api: a} })
	return cfg
}

// Ready is a healthz.Checker: an error while the API server does not answer.
func (a *APIServer) Ready(*http.Request) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.unreachableSince.IsZero() {
		return nil
	}
	return fmt.Errorf("the API server has not answered since %s (%v); the caches are not kept current", a.unreachableSince.UTC().Format(time.RFC3339), a.lastError)
}

func (a *APIServer) answered() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.unreachableSince, a.lastError = time.Time{}, nil
}

func (a *APIServer) unanswered(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.unreachableSince.IsZero() {
		a.unreachableSince = time.Now()
	}
	a.lastError = err
}

type awaitTransport struct {
	next http.RoundTripper
	api  *APIServer
}

// WrappedRoundTripper lets client-go reach the transport underneath, to cancel requests.
func (t *awaitTransport) WrappedRoundTripper() http.RoundTripper { return t.next }

func (t *awaitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for {
		resp, err := t.next.RoundTrip(req)
		switch {
		case err == nil && !unavailable(resp.StatusCode):
			t.api.answered()
			return resp, nil
		case err == nil:
			t.api.unanswered(fmt.Errorf("HTTP %d", resp.StatusCode))
		case unreachable(err):
			t.api.unanswered(err)
		default:
			return resp, err
		}
		if req.Method != http.MethodGet || req.Body != nil {
			return resp, err // only reads are retried here
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
		select {
		case <-req.Context().Done():
			if err == nil {
				err = req.Context().Err()
			}
			return nil, err
		case <-time.After(awaitInterval):
		}
	}
}

// unavailable reports whether a status means the API server cannot serve now.
func unavailable(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// unreachable reports whether a transport error means the API server is not there: the
// connection refused, reset, closed or lost.
func unreachable(err error) bool {
	var opErr *net.OpError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		(errors.As(err, &opErr) && opErr.Op == "dial") {
		return true
	}
	return strings.Contains(err.Error(), "http2: client connection lost")
}
