package kube

// This file decides where an issuer may bind access. A service's catalog
// entry names its namespace, and the catalog is edited by the teams
// themselves, so the namespace is not trusted: the platform's rule for the
// environment (an allowlist, or a label selector checked on the Namespace
// object) must allow it, and the system namespaces are refused always.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// SystemNamespaces are never bound in, whatever the configuration says.
var SystemNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// inClusterNamespaceFile is where a pod finds its own namespace.
const inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// inClusterNamespace returns the namespace of the pod platbot runs in, ""
// outside a cluster.
func inClusterNamespace() string {
	if os.Getenv("KUBERNETES_SERVICE_HOST") == "" {
		return ""
	}
	b, err := os.ReadFile(inClusterNamespaceFile)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// NamespaceRule says in which namespaces of a cluster access may be bound.
// At least one of Allow and Selector must be set; when both are, both must
// hold.
type NamespaceRule struct {
	// Allow lists the namespaces by name.
	Allow []string `json:"allow,omitempty"`
	// Selector is a label selector ("platbot.dev/access=allowed") the
	// Namespace object must match; it is read from the cluster each time.
	Selector string `json:"selector,omitempty"`
}

// Empty reports whether the rule allows nothing because it says nothing.
func (r NamespaceRule) Empty() bool { return len(r.Allow) == 0 && strings.TrimSpace(r.Selector) == "" }

// Validate checks the rule's syntax: namespace names and the selector.
func (r NamespaceRule) Validate() error {
	if r.Empty() {
		return errors.New("name the namespaces access may be bound in: allow (a list of names) or selector (a label selector on the Namespace)")
	}
	for _, ns := range r.Allow {
		if bad := badNamespaceName(ns); bad != "" {
			return fmt.Errorf("allow: %q is not a namespace name (%s)", ns, bad)
		}
		if slices.Contains(SystemNamespaces, ns) {
			return fmt.Errorf("allow: %q is a system namespace; platbot never grants access there", ns)
		}
	}
	if strings.TrimSpace(r.Selector) != "" {
		sel, err := labels.Parse(r.Selector)
		if err != nil {
			return fmt.Errorf("selector %q: %v", r.Selector, err)
		}
		if sel.Empty() {
			return fmt.Errorf("selector %q matches every namespace; name the labels an allowed namespace carries", r.Selector)
		}
	}
	return nil
}

func badNamespaceName(ns string) string {
	return strings.Join(validation.IsDNS1123Label(ns), "; ")
}

// NamespaceError is a refusal to bind access in a namespace. It wraps
// ErrRejected: asking again gives the same answer.
type NamespaceError struct {
	Namespace string
	// Why says what is wrong, for people: "it is a system namespace".
	Why string
}

func (e *NamespaceError) Error() string {
	return fmt.Sprintf("kube: namespace %q: %s", e.Namespace, e.Why)
}

// Unwrap makes errors.Is(err, ErrRejected) hold.
func (e *NamespaceError) Unwrap() error { return ErrRejected }

// protected says why a namespace is never bound in ("" when it is not).
func protected(ns, own, saNamespace string) string {
	switch {
	case slices.Contains(SystemNamespaces, ns):
		return "it is a system namespace, where platbot never grants access"
	case own != "" && ns == own:
		return "it is the namespace platbot itself runs in, where platbot never grants access"
	case saNamespace != "" && ns == saNamespace:
		return "it holds the ServiceAccounts platbot issues, where platbot never grants access"
	}
	return ""
}

// checkStatic applies what needs no cluster: protected namespaces and the
// allowlist.
func checkStatic(ns, own, saNamespace string, rule NamespaceRule) error {
	if why := protected(ns, own, saNamespace); why != "" {
		return &NamespaceError{Namespace: ns, Why: why}
	}
	if rule.Empty() {
		return &NamespaceError{Namespace: ns, Why: "no namespaces are allowed for access in this environment (its namespaces rule is empty)"}
	}
	if len(rule.Allow) > 0 && !slices.Contains(rule.Allow, ns) {
		return &NamespaceError{Namespace: ns, Why: "it is not one of the namespaces this environment allows access to (" + strings.Join(rule.Allow, ", ") + ")"}
	}
	return nil
}

// CheckNamespace says whether access may be bound in namespace ns under
// rule: never in a system namespace, the issuer's own namespace or the
// namespace its ServiceAccounts live in (saNamespace, when set); only in
// one the allowlist names; and, with a selector, only in a Namespace object
// of the cluster that exists and matches it. A refusal is a
// *NamespaceError; an API failure is returned as such (retry later).
func (i *Issuer) CheckNamespace(ctx context.Context, ns, saNamespace string, rule NamespaceRule) error {
	if err := checkStatic(ns, i.own, saNamespace, rule); err != nil {
		return err
	}
	if strings.TrimSpace(rule.Selector) == "" {
		return nil
	}
	sel, err := labels.Parse(rule.Selector)
	if err != nil {
		return &NamespaceError{Namespace: ns, Why: fmt.Sprintf("the environment's namespace selector %q is invalid: %v", rule.Selector, err)}
	}
	var labelsOf map[string]string
	err = i.retry(ctx, "get namespace", func() error {
		obj, err := i.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			return err
		}
		labelsOf = obj.Labels
		return nil
	})
	switch {
	case apierrors.IsNotFound(err):
		return &NamespaceError{Namespace: ns, Why: "it does not exist in the cluster"}
	case err != nil:
		return i.wrap(err, "read namespace %s", ns)
	}
	if !sel.Matches(labels.Set(labelsOf)) {
		return &NamespaceError{Namespace: ns, Why: fmt.Sprintf("it does not match this environment's namespace selector %q", rule.Selector)}
	}
	return nil
}
