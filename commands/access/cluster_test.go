package access

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/integrations/testenv"
)

// One real control plane (etcd + kube-apiserver on loopback) for the
// package; tests that need it skip (or fail in CI) when it did not start.
var (
	realKube    *testenv.Kube
	realKubeErr error
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	realKube, realKubeErr = testenv.StartKube(ctx)
	cancel()
	code := m.Run()
	if err := realKube.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the kube control plane:", err)
	}
	os.Exit(code)
}

// testViewRole is a "view"-like ClusterRole: read pods, nothing else.
const testViewRole = "platbot-test-view"

// prepareCluster makes the namespaces, the ClusterRole and a pod to look at.
func prepareCluster(t *testing.T, ctx context.Context, admin kubernetes.Interface) {
	t.Helper()
	for _, ns := range []string{"payments", "other"} {
		_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("namespace %s: %v", ns, err)
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.example/web:1"}}},
		}
		if _, err := admin.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("pod in %s: %v", ns, err)
		}
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: testViewRole},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}}},
	}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("clusterrole: %v", err)
	}
}

// eventually retries f until it returns nil or the timeout passes. The API
// server caches successful token authentications for 10s and its RBAC
// authorizer follows bindings through an informer, so both granting and
// revoking take effect within seconds, not at once.
func eventually(t *testing.T, what string, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v after %s", what, err, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tokenClient is a client that authenticates with only the bearer token,
// against the test server's host.
func tokenClient(t *testing.T, token string) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(&rest.Config{
		Host: realKube.Host, BearerToken: token,
		TLSClientConfig: rest.TLSClientConfig{CAData: realKube.Config.TLSClientConfig.CAData},
		Timeout:         10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestRealClusterGrantRevokeExpire(t *testing.T) {
	testenv.SkipOrFail(t, realKubeErr)
	ctx := context.Background()
	admin, err := kubernetes.NewForConfig(realKube.Config)
	if err != nil {
		t.Fatal(err)
	}
	prepareCluster(t, ctx, admin)

	h := newHarness(t, func(h *harness, cfg *Config) {
		iss, err := kube.NewIssuerFromKubeconfig(realKube.Kubeconfig, "platbot-test", kube.WithLogger(h.logger()))
		if err != nil {
			t.Fatal(err)
		}
		h.issuers = map[string]Issuer{"prod-us": iss, "prod-eu": iss}
		cfg.Levels = map[string]string{"view": testViewRole, "edit": "edit"}
		cfg.Environments[1].Levels = nil
		// Real time for the token; the fake clock drives platbot's jobs.
		h.clock.Set(time.Now().UTC())
	})

	// Request, approve, deliver.
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	h.wantState(id, StateActive)
	up := h.wantSent("upload", "D-"+rita, "")

	// The delivered kubeconfig works as is: get and list pods in the
	// service's namespace.
	rc, err := clientcmd.RESTConfigFromKubeConfig(up.File.Content)
	if err != nil {
		t.Fatalf("delivered kubeconfig: %v", err)
	}
	if rc.Host != realKube.Host {
		t.Errorf("kubeconfig server = %q, want %q", rc.Host, realKube.Host)
	}
	user, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "get pods with the issued kubeconfig", 15*time.Second, func() error {
		_, err := user.CoreV1().Pods("payments").Get(ctx, "web", metav1.GetOptions{})
		return err
	})
	if pods, err := user.CoreV1().Pods("payments").List(ctx, metav1.ListOptions{}); err != nil || len(pods.Items) != 1 {
		t.Fatalf("list pods: %v", err)
	}

	// The same with nothing but the bearer token against the host.
	token := kubeconfigToken(t, up.File.Content)
	tc := tokenClient(t, token)
	if _, err := tc.CoreV1().Pods("payments").Get(ctx, "web", metav1.GetOptions{}); err != nil {
		t.Fatalf("get pods with the bare token: %v", err)
	}
	// Who am I: the ServiceAccount named after the request.
	review, err := tc.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("self subject review: %v", err)
	}
	if got := review.Status.UserInfo.Username; got != "system:serviceaccount:payments:platbot-"+id {
		t.Errorf("username = %q", got)
	}

	// Nothing beyond the level: no delete, no writes, no other namespace.
	if err := tc.CoreV1().Pods("payments").Delete(ctx, "web", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("delete pod: err = %v, want Forbidden", err)
	}
	_, err = tc.CoreV1().ConfigMaps("payments").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("create configmap: err = %v, want Forbidden", err)
	}
	if _, err := tc.CoreV1().Pods("other").Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("get pod in another namespace: err = %v, want Forbidden", err)
	}
	if _, err := tc.CoreV1().Secrets("payments").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("list secrets: err = %v, want Forbidden", err)
	}

	// Revoked early: the token is refused.
	h.run(rita, "access revoke "+id+" done debugging")
	h.wantState(id, StateRevoked)
	eventually(t, "the revoked token is refused", 30*time.Second, func() error {
		_, err := tc.CoreV1().Pods("payments").Get(ctx, "web", metav1.GetOptions{})
		if apierrors.IsUnauthorized(err) {
			return nil
		}
		return fmt.Errorf("get pods answered %v", err)
	})
	if _, err := admin.CoreV1().ServiceAccounts("payments").Get(ctx, saName(id), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("serviceaccount after revoke: %v", err)
	}

	// A second grant reaches its deadline: the expiry job revokes it.
	id2 := h.request(rita, "payments-api", "prod-us", "view", "30m")
	h.click(paula, payApprovals, ActionApprove, id2)
	h.jobs()
	tc2 := tokenClient(t, kubeconfigToken(t, h.wantSent("upload", "D-"+rita, "").File.Content))
	eventually(t, "get pods with the second grant", 15*time.Second, func() error {
		_, err := tc2.CoreV1().Pods("payments").List(ctx, metav1.ListOptions{})
		return err
	})
	h.clock.Advance(30 * time.Minute)
	h.jobs()
	h.wantState(id2, StateExpired)
	eventually(t, "the expired grant's token is refused", 30*time.Second, func() error {
		_, err := tc2.CoreV1().Pods("payments").List(ctx, metav1.ListOptions{})
		if apierrors.IsUnauthorized(err) {
			return nil
		}
		return fmt.Errorf("list pods answered %v", err)
	})
	// And nothing platbot made is left behind.
	left, err := admin.CoreV1().ServiceAccounts("").List(ctx, metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedByPlatbot})
	if err != nil || len(left.Items) != 0 {
		t.Errorf("platbot serviceaccounts left: %v %v", left, err)
	}
	rbs, err := admin.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedByPlatbot})
	if err != nil || len(rbs.Items) != 0 {
		t.Errorf("platbot rolebindings left: %v %v", rbs, err)
	}
	if strings.Contains(h.logs.String(), token) {
		t.Error("the token reached the logs")
	}
}

func kubeconfigToken(t *testing.T, kubeconfig []byte) string {
	t.Helper()
	kc, err := clientcmd.Load(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	ai := kc.AuthInfos[kc.Contexts[kc.CurrentContext].AuthInfo]
	if ai == nil || ai.Token == "" {
		t.Fatal("kubeconfig without a token")
	}
	return ai.Token
}

// TestRealClusterLeastPrivilege runs the issuer as a ServiceAccount holding
// only examples/access/rbac.yaml's platbot-access-issuer role: it can grant
// the configured levels and nothing more.
func TestRealClusterLeastPrivilege(t *testing.T) {
	testenv.SkipOrFail(t, realKubeErr)
	ctx := context.Background()
	admin, err := kubernetes.NewForConfig(realKube.Config)
	if err != nil {
		t.Fatal(err)
	}
	prepareCluster(t, ctx, admin)
	applyExampleRBAC(t, ctx, admin)

	// platbot's own identity.
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "platbot"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ServiceAccounts("platbot").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "platbot"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	secs := int64(3600)
	tr, err := admin.CoreV1().ServiceAccounts("platbot").CreateToken(ctx, "platbot",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	iss := kube.NewIssuer(tokenClient(t, tr.Status.Token), kube.Cluster{Name: "test", Server: realKube.Host, CAData: realKube.Config.TLSClientConfig.CAData})

	// examples/access/rbac.yaml lets platbot read Namespaces, for selectors
	// (the API server labels every namespace with its name).
	if err := iss.CheckNamespace(ctx, "payments", "", kube.NamespaceRule{Selector: "kubernetes.io/metadata.name=payments"}); err != nil {
		t.Errorf("check a namespace selector as platbot: %v", err)
	}

	g := kube.Grant{Name: "platbot-ar-leastpriv", Namespace: "payments", ClusterRole: "platbot-exec", ExpiresAt: time.Now().Add(time.Hour), RequestID: "ar-leastpriv",
		Namespaces: kube.NamespaceRule{Allow: []string{"payments"}}}
	var creds *kube.Credentials
	eventually(t, "issue exec as platbot", 15*time.Second, func() error {
		creds, err = iss.Issue(ctx, g)
		return err
	})
	user := tokenClient(t, creds.Token)
	eventually(t, "exec-level token reads pods", 15*time.Second, func() error {
		_, err := user.CoreV1().Pods("payments").Get(ctx, "web", metav1.GetOptions{})
		return err
	})
	if err := user.CoreV1().Pods("payments").Delete(ctx, "web", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("exec level deleted a pod: %v", err)
	}

	// The edit level (platbot-edit) changes workloads but cannot mint
	// credentials that outlive the grant.
	edit := kube.Grant{Name: "platbot-ar-leastedit", Namespace: "payments", ClusterRole: "platbot-edit", ExpiresAt: time.Now().Add(time.Hour), RequestID: "ar-leastedit",
		Namespaces: kube.NamespaceRule{Allow: []string{"payments"}}}
	eventually(t, "issue edit as platbot", 15*time.Second, func() error {
		_, err := iss.Issue(ctx, edit)
		return err
	})
	can := func(group, verb, resource, sub string) (bool, error) {
		sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: edit.Username(), Groups: []string{"system:serviceaccounts", "system:serviceaccounts:payments", "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "payments", Group: group, Verb: verb, Resource: resource, Subresource: sub},
		}}, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		return sar.Status.Allowed, nil
	}
	eventually(t, "edit level may patch deployments", 15*time.Second, func() error {
		if ok, err := can("apps", "patch", "deployments", ""); err != nil || !ok {
			return fmt.Errorf("allowed %v, %v", ok, err)
		}
		return nil
	})
	for _, c := range []struct{ group, verb, resource, sub string }{
		{"", "create", "serviceaccounts", "token"},
		{"", "impersonate", "serviceaccounts", ""},
		{"", "create", "serviceaccounts", ""},
		{"rbac.authorization.k8s.io", "create", "rolebindings", ""},
		{"", "create", "secrets", ""},
		{"", "get", "secrets", ""},
	} {
		if ok, err := can(c.group, c.verb, c.resource, c.sub); err != nil || ok {
			t.Errorf("edit level may %s %s/%s (err %v)", c.verb, c.resource, c.sub, err)
		}
	}
	if err := iss.Revoke(ctx, edit); err != nil {
		t.Fatalf("revoke edit as platbot: %v", err)
	}

	// A role outside the configured levels cannot be bound by platbot.
	bad := g
	bad.Name, bad.ClusterRole = "platbot-ar-escalate", "cluster-admin"
	if _, err := iss.Issue(ctx, bad); !errors.Is(err, kube.ErrRejected) || !apierrors.IsForbidden(err) {
		t.Errorf("binding cluster-admin: err = %v, want a Forbidden ErrRejected", err)
	}
	if err := iss.Revoke(ctx, bad); err != nil {
		t.Errorf("revoke the half-made grant: %v", err)
	}
	if err := iss.Revoke(ctx, g); err != nil {
		t.Fatalf("revoke as platbot: %v", err)
	}
	eventually(t, "revoked token refused", 30*time.Second, func() error {
		_, err := user.CoreV1().Pods("payments").Get(ctx, "web", metav1.GetOptions{})
		if apierrors.IsUnauthorized(err) {
			return nil
		}
		return fmt.Errorf("get pod answered %v", err)
	})
}

// applyExampleRBAC creates the objects of examples/access/rbac.yaml.
func applyExampleRBAC(t *testing.T, ctx context.Context, admin kubernetes.Interface) {
	t.Helper()
	data, err := os.ReadFile("../../examples/access/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var meta struct{ Kind string }
		if err := sigsyaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("rbac.yaml: %v", err)
		}
		switch meta.Kind {
		case "ClusterRole":
			var o rbacv1.ClusterRole
			if err := sigsyaml.UnmarshalStrict([]byte(doc), &o); err != nil {
				t.Fatal(err)
			}
			_, err = admin.RbacV1().ClusterRoles().Create(ctx, &o, metav1.CreateOptions{})
		case "ClusterRoleBinding":
			var o rbacv1.ClusterRoleBinding
			if err := sigsyaml.UnmarshalStrict([]byte(doc), &o); err != nil {
				t.Fatal(err)
			}
			_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, &o, metav1.CreateOptions{})
		default:
			t.Fatalf("rbac.yaml: unexpected kind %q", meta.Kind)
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("apply %s: %v", meta.Kind, err)
		}
	}
}

// TestRealClusterNamespaceSelector: an environment whose namespaces are
// chosen by a label selector grants access only in a Namespace of the real
// cluster carrying the labels, checked when the request is made and again
// when it is issued.
func TestRealClusterNamespaceSelector(t *testing.T) {
	testenv.SkipOrFail(t, realKubeErr)
	ctx := context.Background()
	admin, err := kubernetes.NewForConfig(realKube.Config)
	if err != nil {
		t.Fatal(err)
	}
	prepareCluster(t, ctx, admin)
	setLabels := func(ns string, labels map[string]string) {
		t.Helper()
		obj, err := admin.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			obj, err = admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		for k := range obj.Labels {
			if k != "kubernetes.io/metadata.name" {
				delete(obj.Labels, k)
			}
		}
		if obj.Labels == nil {
			obj.Labels = map[string]string{}
		}
		for k, v := range labels {
			obj.Labels[k] = v
		}
		if _, err := admin.CoreV1().Namespaces().Update(ctx, obj, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	setLabels("payments", map[string]string{"platbot.dev/access": "allowed"})
	setLabels("gateway", map[string]string{"team": "engineering"})
	t.Cleanup(func() { setLabels("payments", nil) })

	h := newHarness(t, func(h *harness, cfg *Config) {
		iss, err := kube.NewIssuerFromKubeconfig(realKube.Kubeconfig, "platbot-test", kube.WithLogger(h.logger()))
		if err != nil {
			t.Fatal(err)
		}
		h.issuers = map[string]Issuer{"prod-us": iss, "prod-eu": iss}
		cfg.Levels = map[string]string{"view": testViewRole}
		cfg.Environments[1].Levels = nil
		cfg.Environments[0].Namespaces = Namespaces{Selector: "platbot.dev/access=allowed"}
		h.clock.Set(time.Now().UTC())
	})

	errs := h.submit(erin, "access gateway-api prod-us", values("gateway-api", "prod-us", "view", "1h", testReason))
	if msg := errs[fieldService]; !strings.Contains(msg, "namespace `gateway`") || !strings.Contains(msg, `does not match this environment's namespace selector`) {
		t.Fatalf("gateway: field errors %v", errs)
	}

	// Allowed when asked; the label is gone by the time it is approved.
	id := h.request(rita, "payments-api", "prod-us", "view", "1h")
	setLabels("payments", nil)
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	r := h.wantState(id, StateFailed)
	if !strings.Contains(r.Failure, `namespace "payments"`) || !strings.Contains(r.Failure, "selector") {
		t.Fatalf("failure = %q", r.Failure)
	}
	rbs, err := admin.RbacV1().RoleBindings("payments").List(ctx, metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedByPlatbot})
	if err != nil || len(rbs.Items) != 0 {
		t.Fatalf("rolebindings made in an unlabelled namespace: %v %v", rbs, err)
	}

	// Labelled again: a new request is issued and works.
	setLabels("payments", map[string]string{"platbot.dev/access": "allowed"})
	id = h.request(rita, "payments-api", "prod-us", "view", "1h")
	h.click(peter, payApprovals, ActionApprove, id)
	h.jobs()
	h.wantState(id, StateActive)
	h.run(rita, "access revoke "+id+" done")
	h.wantState(id, StateRevoked)
}
