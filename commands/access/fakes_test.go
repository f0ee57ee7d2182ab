package access

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/platbot/platbot/integrations/kube"
)

// flakyIssuer is an Issuer whose cluster can be down or refuse.
type flakyIssuer struct {
	mu      sync.Mutex
	down    bool
	reject  bool
	revokes int
	n       int
}

func (f *flakyIssuer) setDown(d bool) {
	f.mu.Lock()
	f.down = d
	f.mu.Unlock()
}

func (f *flakyIssuer) revoked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revokes
}

func (f *flakyIssuer) Issue(_ context.Context, g kube.Grant) (*kube.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.reject:
		return nil, fmt.Errorf("kube: create serviceaccount %s/%s: %w: namespace %q not found", g.Namespace, g.Name, kube.ErrRejected, g.Namespace)
	case f.down:
		return nil, fmt.Errorf("kube: create serviceaccount: connection refused")
	}
	f.n++
	tok := fmt.Sprintf("flaky-token-%d", f.n)
	return &kube.Credentials{Username: g.Username(), Token: tok, Kubeconfig: []byte("token: " + tok), ExpiresAt: time.Now().Add(time.Hour)}, nil
}

// CheckNamespace allows every namespace: these tests are about the
// cluster being down, not about where access may be bound.
func (f *flakyIssuer) CheckNamespace(context.Context, string, string, kube.NamespaceRule) error {
	return nil
}

func (f *flakyIssuer) Revoke(_ context.Context, _ kube.Grant) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return fmt.Errorf("kube: delete rolebinding: connection refused")
	}
	f.revokes++
	return nil
}
