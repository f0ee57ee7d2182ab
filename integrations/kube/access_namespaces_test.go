package kube

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
)

// wantRefused checks that err refuses namespace ns, names it, and says why.
func wantRefused(t *testing.T, err error, ns, why string) {
	t.Helper()
	var ne *NamespaceError
	if !errors.As(err, &ne) || ne.Namespace != ns || !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v, want a NamespaceError for %q wrapping ErrRejected", err, ns)
	}
	if !strings.Contains(err.Error(), `"`+ns+`"`) || !strings.Contains(ne.Why, why) {
		t.Fatalf("err = %q, want it to name %q and say %q", err, ns, why)
	}
}

// nothingMade checks that no ServiceAccount or RoleBinding exists in ns.
func nothingMade(t *testing.T, iss *Issuer, ns string) {
	t.Helper()
	names, err := iss.Managed(context.Background(), ns)
	if err != nil || len(names) != 0 {
		t.Fatalf("objects were made: %v %v", names, err)
	}
	rbs, err := iss.cs.RbacV1().RoleBindings(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(rbs.Items) != 0 {
		t.Fatalf("rolebindings in %s: %v %v", ns, rbs, err)
	}
}

func TestIssueRefusesSystemNamespacesWhateverTheRule(t *testing.T) {
	iss, _, minted, _ := newTestIssuer(t)
	for _, ns := range SystemNamespaces {
		g := testGrant()
		g.Namespace = ns
		// Even a rule that names it (config validation refuses that too).
		g.Namespaces = NamespaceRule{Allow: []string{ns}}
		_, err := iss.Issue(context.Background(), g)
		wantRefused(t, err, ns, "system namespace")
		nothingMade(t, iss, ns)
	}
	if minted.Load() != 0 {
		t.Fatalf("%d tokens minted", minted.Load())
	}
}

func TestIssueRefusesOwnAndServiceAccountNamespaces(t *testing.T) {
	base, _, _, _ := newTestIssuer(t)
	iss := NewIssuer(base.cs, base.cluster, WithOwnNamespace("platbot"), WithLogger(slog.New(slog.DiscardHandler)))
	g := testGrant()
	g.Namespace, g.Namespaces = "platbot", NamespaceRule{Allow: []string{"platbot"}}
	_, err := iss.Issue(context.Background(), g)
	wantRefused(t, err, "platbot", "platbot itself runs in")

	g = testGrant()
	g.Namespace, g.ServiceAccountNamespace = "access-sa", "access-sa"
	g.Namespaces = NamespaceRule{Allow: []string{"access-sa"}}
	_, err = iss.Issue(context.Background(), g)
	wantRefused(t, err, "access-sa", "holds the ServiceAccounts platbot issues")
}

func TestIssueRefusesNamespaceOutsideTheAllowlist(t *testing.T) {
	iss, _, _, _ := newTestIssuer(t)
	g := testGrant()
	g.Namespace = "search"
	g.Namespaces = NamespaceRule{Allow: []string{"payments", "checkout"}}
	_, err := iss.Issue(context.Background(), g)
	wantRefused(t, err, "search", "not one of the namespaces this environment allows access to (payments, checkout)")
	nothingMade(t, iss, "search")

	// No rule at all allows nothing.
	g = testGrant()
	g.Namespaces = NamespaceRule{}
	_, err = iss.Issue(context.Background(), g)
	wantRefused(t, err, "payments", "no namespaces are allowed")
}

// TestIssueChecksTheNamespaceSelector runs the selector against Namespace
// objects in a client-go fake clientset (the real API server does the same
// in commands/access's cluster tests).
func TestIssueChecksTheNamespaceSelector(t *testing.T) {
	ctx := context.Background()
	iss, cs, _, _ := newTestIssuer(t)
	for name, labels := range map[string]map[string]string{
		"payments": {"platbot.dev/access": "allowed", "team": "payments"},
		"search":   {"team": "search"},
	} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rule := NamespaceRule{Selector: "platbot.dev/access=allowed"}

	g := testGrant()
	g.Namespaces = rule
	if _, err := iss.Issue(ctx, g); err != nil {
		t.Fatalf("matching namespace refused: %v", err)
	}

	g = testGrant()
	g.Namespace, g.Namespaces = "search", rule
	_, err := iss.Issue(ctx, g)
	wantRefused(t, err, "search", `does not match this environment's namespace selector "platbot.dev/access=allowed"`)
	nothingMade(t, iss, "search")

	g.Namespace = "ghost"
	_, err = iss.Issue(ctx, g)
	wantRefused(t, err, "ghost", "does not exist")

	// Both set: both must hold.
	if err := iss.CheckNamespace(ctx, "payments", "", NamespaceRule{Allow: []string{"checkout"}, Selector: rule.Selector}); err == nil {
		t.Fatal("allowlist ignored when a selector is set too")
	}

	// A failing API is an error to retry, not a refusal.
	cs.PrependReactor("get", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("etcd is sad")
	})
	err = iss.CheckNamespace(ctx, "payments", "", rule)
	var ne *NamespaceError
	if err == nil || errors.As(err, &ne) || errors.Is(err, ErrRejected) {
		t.Fatalf("API outage: err = %v, want a retryable error", err)
	}
}

func TestNamespaceRuleValidate(t *testing.T) {
	for _, c := range []struct {
		rule NamespaceRule
		want string
	}{
		{NamespaceRule{}, "name the namespaces"},
		{NamespaceRule{Allow: []string{"Payments"}}, "not a namespace name"},
		{NamespaceRule{Allow: []string{"kube-system"}}, "system namespace"},
		{NamespaceRule{Selector: "a in (b"}, "selector"},
		{NamespaceRule{Selector: " "}, "name the namespaces"},
	} {
		err := c.rule.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want %q", c.rule, err, c.want)
		}
	}
	if err := (NamespaceRule{Allow: []string{"payments"}, Selector: "team in (payments,search)"}).Validate(); err != nil {
		t.Errorf("good rule: %v", err)
	}
}

func TestDryRunIssuerShowsWhatItWouldCreate(t *testing.T) {
	ctx := context.Background()
	d := NewDryRunIssuer(Cluster{Name: "demo"}, slog.New(slog.DiscardHandler))
	g := testGrant()
	g.ClusterRole = "edit"
	creds, err := d.Issue(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if !creds.DryRun || creds.Token != "" || len(creds.Kubeconfig) != 0 {
		t.Fatalf("dry run credentials = %+v (token %q, kubeconfig %d bytes)", creds, creds.Token, len(creds.Kubeconfig))
	}
	if creds.Username != "system:serviceaccount:payments:platbot-ar-abc" || !creds.ExpiresAt.Equal(g.ExpiresAt) {
		t.Errorf("username %q, expiry %v", creds.Username, creds.ExpiresAt)
	}
	objs := string(creds.Objects)
	for _, want := range []string{
		"kind: ServiceAccount", "kind: RoleBinding", "name: platbot-ar-abc", "namespace: payments",
		"kind: ClusterRole", "name: edit", AnnotationExpiresAt + ": \"" + g.ExpiresAt.UTC().Format(time.RFC3339) + "\"",
	} {
		if !strings.Contains(objs, want) {
			t.Errorf("objects lack %q:\n%s", want, objs)
		}
	}
	if strings.Contains(objs, "creationTimestamp") {
		t.Errorf("objects carry empty fields:\n%s", objs)
	}

	// The same refusals as the real issuer, where no cluster is needed.
	g.Namespace = "kube-system"
	_, err = d.Issue(ctx, g)
	wantRefused(t, err, "kube-system", "system namespace")
	g.Namespace = "search"
	_, err = d.Issue(ctx, g)
	wantRefused(t, err, "search", "not one of the namespaces")
	g.Namespace, g.Namespaces = "payments", NamespaceRule{Selector: "team=payments"}
	_, err = d.Issue(ctx, g)
	wantRefused(t, err, "payments", "no cluster to check the namespace selector")
	if err := d.Revoke(ctx, g); err != nil {
		t.Fatal(err)
	}
}
