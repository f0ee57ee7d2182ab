package kube

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// DryRunIssuer is an issuer without a cluster, for demo mode: it checks a
// grant as the real issuer does (the grant's fields, the protected
// namespaces, the allowlist) and answers with the ServiceAccount and
// RoleBinding it would create and their expiry, creating nothing and
// minting no token. A label selector cannot be checked without a cluster,
// so a rule with one is refused.
type DryRunIssuer struct {
	cluster Cluster
	log     *slog.Logger
}

// NewDryRunIssuer returns a dry-run issuer; cluster names the pretend
// cluster in what it shows.
func NewDryRunIssuer(cluster Cluster, log *slog.Logger) *DryRunIssuer {
	if log == nil {
		log = slog.Default()
	}
	if cluster.Name == "" {
		cluster.Name = "dry-run"
	}
	return &DryRunIssuer{cluster: cluster, log: log.With("component", "kube.dryrun", "cluster", cluster.Name)}
}

// CheckNamespace applies the checks that need no cluster. A selector is
// refused: only a real cluster can say whether a Namespace matches it.
func (d *DryRunIssuer) CheckNamespace(_ context.Context, ns, saNamespace string, rule NamespaceRule) error {
	if err := checkStatic(ns, "", saNamespace, rule); err != nil {
		return err
	}
	if strings.TrimSpace(rule.Selector) != "" {
		return &NamespaceError{Namespace: ns, Why: fmt.Sprintf("the dry-run issuer has no cluster to check the namespace selector %q against; use an allowlist (namespaces.allow) in demo mode", rule.Selector)}
	}
	return nil
}

// Issue returns what a real issue would create, as Credentials with DryRun
// set, Objects holding the YAML, and no token or kubeconfig.
func (d *DryRunIssuer) Issue(ctx context.Context, g Grant) (*Credentials, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	if err := d.CheckNamespace(ctx, g.Namespace, g.ServiceAccountNamespace, g.Namespaces); err != nil {
		return nil, err
	}
	var out []byte
	for _, obj := range []any{g.serviceAccount(), g.roleBinding()} {
		b, err := yaml.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("kube: dry run: render %s: %w", g.Name, err)
		}
		if len(out) > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, stripEmpty(b)...)
	}
	d.log.Info("access dry run: nothing created", "request", g.RequestID, "username", g.Username(),
		"namespace", g.Namespace, "clusterrole", g.ClusterRole, "expires_at", g.ExpiresAt)
	return &Credentials{
		Username:  g.Username(),
		Server:    d.cluster.Server,
		ExpiresAt: g.ExpiresAt.UTC().Truncate(time.Second),
		DryRun:    true,
		Objects:   out,
	}, nil
}

// Revoke has nothing to delete.
func (d *DryRunIssuer) Revoke(_ context.Context, g Grant) error {
	d.log.Info("access dry run: nothing to revoke", "request", g.RequestID, "username", g.Username())
	return nil
}

// stripEmpty drops the "creationTimestamp: null" and empty "status" lines
// the API types render with, which a person reading the objects does not
// need.
func stripEmpty(b []byte) []byte {
	var keep []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		t := strings.TrimSpace(l)
		if t == "creationTimestamp: null" || t == "status: {}" {
			continue
		}
		keep = append(keep, l)
	}
	return []byte(strings.Join(keep, ""))
}
