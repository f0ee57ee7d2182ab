package main

// Errors of outside systems, named for the status feature. Where a shared
// client reaches a feature (the adapters in adapters.go, the decorators
// below), an error saying the system could not answer — a refused or
// dropped connection, a timeout, a 5xx, a 429 — is marked as that
// integration's with status.Wrap, so that a command failing while the
// system is down says "Vault is down since 10:42 UTC (owned by #platform)"
// (status.Feature.Explain, the router's ExplainError and golden paths'
// Deps.Explain). An answer — 401, 403, 404, a refused input — is the
// user's to act on and keeps its own words.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	gh "github.com/google/go-github/v60/github"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/platbot/platbot/commands/access"
	"github.com/platbot/platbot/commands/cost"
	"github.com/platbot/platbot/commands/paths"
	"github.com/platbot/platbot/commands/secrets"
	"github.com/platbot/platbot/commands/status"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/integrations/opencost"
	"github.com/platbot/platbot/integrations/prometheus"
	"github.com/platbot/platbot/integrations/vault"
)

// integrationErr marks err as integration's (a status probe's Name) when
// it says the system could not answer; any other error is returned as it
// is.
func integrationErr(integration string, err error) error {
	if !unavailable(err) {
		return err
	}
	return status.Wrap(integration, err)
}

// unavailable reports whether err says an outside system could not
// answer: the connection was refused, reset or dropped, the call timed out,
// or the system answered 5xx or 429 (as each integration's client reports
// it). A cancelled call is not an outage.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, vault.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var (
		ne    net.Error
		op    *net.OpError
		dns   *net.DNSError
		ue    *url.Error
		rl    *gh.RateLimitError
		abuse *gh.AbuseRateLimitError
		ger   *gh.ErrorResponse
		kst   apierrors.APIStatus
		oc    *opencost.APIError
		pe    *prometheus.APIError
	)
	switch {
	case errors.As(err, &ne) && ne.Timeout(), errors.As(err, &op), errors.As(err, &dns):
		return true
	case errors.As(err, &ue) && errors.Is(ue.Err, io.EOF):
		return true // the server closed the connection without answering
	case errors.As(err, &rl), errors.As(err, &abuse):
		return true
	case errors.As(err, &ger) && ger.Response != nil:
		return overloaded(ger.Response.StatusCode)
	case errors.As(err, &kst):
		return overloaded(int(kst.Status().Code))
	case errors.As(err, &oc):
		return oc.Temporary()
	case errors.As(err, &pe):
		return overloaded(pe.Status) || pe.ErrorType == "timeout"
	}
	return false
}

// overloaded is an HTTP status of a system that could not answer.
func overloaded(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// ---- Vault: self-service secrets and golden paths' vault:kv ----

// vaultErr marks an error of a Vault call.
func vaultErr(err error) error { return integrationErr("vault", err) }

// vaultKV is the secrets feature's Vault KV store, its errors named.
type vaultKV struct{ secrets.KV }

func (v vaultKV) Put(ctx context.Context, path string, data map[string]string, cas int) (int, error) {
	n, err := v.KV.Put(ctx, path, data, cas)
	return n, vaultErr(err)
}

func (v vaultKV) Patch(ctx context.Context, path string, data map[string]string, cas int) (int, error) {
	n, err := v.KV.Patch(ctx, path, data, cas)
	return n, vaultErr(err)
}

func (v vaultKV) Info(ctx context.Context, path string) (*secrets.KVInfo, error) {
	i, err := v.KV.Info(ctx, path)
	return i, vaultErr(err)
}

func (v vaultKV) List(ctx context.Context, dir string) ([]string, error) {
	names, err := v.KV.List(ctx, dir)
	return names, vaultErr(err)
}

// vaultSealer is the secrets feature's Vault transit key, its errors named.
type vaultSealer struct{ secrets.Sealer }

func (v vaultSealer) PublicKey(ctx context.Context) (*secrets.SealKey, error) {
	k, err := v.Sealer.PublicKey(ctx)
	return k, vaultErr(err)
}

func (v vaultSealer) Decrypt(ctx context.Context, ciphertext string) ([]byte, error) {
	b, err := v.Sealer.Decrypt(ctx, ciphertext)
	return b, vaultErr(err)
}

// vaultSecretStore is golden paths' Vault secret store, its errors named.
type vaultSecretStore struct{ paths.SecretStore }

func (v vaultSecretStore) WriteOnce(ctx context.Context, path string, data map[string]string, owner string) (bool, error) {
	created, err := v.SecretStore.WriteOnce(ctx, path, data, owner)
	return created, vaultErr(err)
}

func (v vaultSecretStore) PutPolicy(ctx context.Context, name, rules string) error {
	return vaultErr(v.SecretStore.PutPolicy(ctx, name, rules))
}

func (v vaultSecretStore) BindRole(ctx context.Context, role, serviceAccount, namespace, policy string) error {
	return vaultErr(v.SecretStore.BindRole(ctx, role, serviceAccount, namespace, policy))
}

var (
	_ secrets.KV          = vaultKV{}
	_ secrets.Sealer      = vaultSealer{}
	_ paths.SecretStore   = vaultSecretStore{}
	_ access.Issuer       = kubeIssuer{}
	_ cost.Source         = openCostSource{}
	_ cost.RequestCounter = prometheusRequests{}
)

// ---- Kubernetes: prod access, one integration per context ----

// kubeIssuer is an access environment's issuer, its errors named as its
// kubeconfig context's ("kube:<context>", as kubeProbes names it).
type kubeIssuer struct {
	access.Issuer
	integration string
}

func (k kubeIssuer) CheckNamespace(ctx context.Context, ns, saNamespace string, rule kube.NamespaceRule) error {
	return integrationErr(k.integration, k.Issuer.CheckNamespace(ctx, ns, saNamespace, rule))
}

func (k kubeIssuer) Issue(ctx context.Context, g kube.Grant) (*kube.Credentials, error) {
	c, err := k.Issuer.Issue(ctx, g)
	return c, integrationErr(k.integration, err)
}

func (k kubeIssuer) Revoke(ctx context.Context, g kube.Grant) error {
	return integrationErr(k.integration, k.Issuer.Revoke(ctx, g))
}

// namedIssuers names the errors of each environment's issuer after its
// kubeconfig context; an environment on the kubeconfig's current context
// (no kubeContext) has no probe of its own and is left as it is.
func namedIssuers(cfg access.Config, issuers map[string]access.Issuer) map[string]access.Issuer {
	for _, e := range cfg.Environments {
		if iss, ok := issuers[e.Name]; ok && e.KubeContext != "" {
			issuers[e.Name] = kubeIssuer{Issuer: iss, integration: "kube:" + e.KubeContext}
		}
	}
	return issuers
}

// ---- OpenCost and Prometheus: cost reports ----

// namedCostSources names the errors of OpenCost and Prometheus when the
// cost section reads them (cost.NewSource, cost.NewRequestCounter), not
// those of the example data.
func namedCostSources(cc cost.Config, src cost.Source, reqs cost.RequestCounter) (cost.Source, cost.RequestCounter) {
	if strings.TrimSpace(cc.OpenCost.URL) != "" {
		src = openCostSource{src}
	}
	if strings.TrimSpace(cc.Prometheus.URL) != "" && reqs != nil {
		reqs = prometheusRequests{reqs}
	}
	return src, reqs
}

// openCostSource is the cost feature's OpenCost allocation API, its errors
// named.
type openCostSource struct{ cost.Source }

func (s openCostSource) Allocation(ctx context.Context, q opencost.Query) ([]opencost.AllocationSet, error) {
	sets, err := s.Source.Allocation(ctx, q)
	return sets, integrationErr("opencost", err)
}

// prometheusRequests is the cost feature's request counts from Prometheus,
// its errors named.
type prometheusRequests struct{ cost.RequestCounter }

func (p prometheusRequests) Requests(ctx context.Context, s *cost.Service, start, end time.Time) (float64, bool, error) {
	n, ok, err := p.RequestCounter.Requests(ctx, s, start, end)
	return n, ok, integrationErr("prometheus", err)
}
