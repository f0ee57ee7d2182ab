package kube

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// fakeJWT returns a token shaped like a service account JWT with a jti.
func fakeJWT(jti string) string {
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]any{"jti": jti, "sub": "system:serviceaccount:x:y"})
	return enc.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString([]byte("sig-"+jti))
}

// withTokens makes the fake clientset answer TokenRequests, checking the
// ServiceAccount exists as the API server would.
func withTokens(cs *fake.Clientset, minted *atomic.Int32, lastTTL *atomic.Int64) {
	cs.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		ca, ok := a.(k8stesting.CreateAction)
		if !ok || ca.GetSubresource() != "token" {
			return false, nil, nil
		}
		name := ca.(k8stesting.CreateActionImpl).Name
		if _, err := cs.Tracker().Get(schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, a.GetNamespace(), name); err != nil {
			return true, nil, err
		}
		tr := ca.GetObject().(*authenticationv1.TokenRequest).DeepCopy()
		n := minted.Add(1)
		lastTTL.Store(*tr.Spec.ExpirationSeconds)
		tr.Status.Token = fakeJWT(fmt.Sprintf("jti-%d", n))
		tr.Status.ExpirationTimestamp = metav1.NewTime(time.Unix(1_900_000_000, 0).Add(time.Duration(*tr.Spec.ExpirationSeconds) * time.Second))
		return true, tr, nil
	})
}

func testGrant() Grant {
	return Grant{
		Name: "platbot-ar-abc", Namespace: "payments", ClusterRole: "view",
		ExpiresAt: time.Unix(1_900_000_000, 0).Add(time.Hour), RequestID: "ar-abc",
		Requester: "U123", RequesterRef: "user:default/rita",
		Namespaces: NamespaceRule{Allow: []string{"payments"}},
	}
}

func newTestIssuer(t *testing.T) (*Issuer, *fake.Clientset, *atomic.Int32, *atomic.Int64) {
	t.Helper()
	cs := fake.NewClientset()
	var minted atomic.Int32
	var ttl atomic.Int64
	withTokens(cs, &minted, &ttl)
	now := func() time.Time { return time.Unix(1_900_000_000, 0) }
	iss := NewIssuer(cs, Cluster{Name: "prod-us", Server: "https://prod-us.example:6443", CAData: []byte("CA PEM")},
		WithClock(now), WithRetries(2, time.Millisecond), WithLogger(slog.New(slog.DiscardHandler)))
	return iss, cs, &minted, &ttl
}

func TestIssueCreatesServiceAccountRoleBindingAndToken(t *testing.T) {
	ctx := context.Background()
	iss, cs, minted, ttl := newTestIssuer(t)
	g := testGrant()
	creds, err := iss.Issue(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if creds.Username != "system:serviceaccount:payments:platbot-ar-abc" {
		t.Errorf("Username = %q", creds.Username)
	}
	if creds.TokenID != "jti-1" {
		t.Errorf("TokenID = %q, want jti-1", creds.TokenID)
	}
	if got := ttl.Load(); got != 3600 {
		t.Errorf("token ExpirationSeconds = %d, want 3600", got)
	}
	sa, err := cs.CoreV1().ServiceAccounts("payments").Get(ctx, g.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("serviceaccount: %v", err)
	}
	if sa.Labels[LabelManagedBy] != ManagedByPlatbot || sa.Labels[LabelAccessRequest] != "ar-abc" || sa.Annotations[AnnotationRequester] != "U123" {
		t.Errorf("serviceaccount metadata = %v %v", sa.Labels, sa.Annotations)
	}
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("serviceaccount should not automount tokens")
	}
	rb, err := cs.RbacV1().RoleBindings("payments").Get(ctx, g.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("rolebinding: %v", err)
	}
	if rb.RoleRef.Kind != "ClusterRole" || rb.RoleRef.Name != "view" {
		t.Errorf("roleRef = %+v", rb.RoleRef)
	}
	if len(rb.Subjects) != 1 || rb.Subjects[0].Kind != "ServiceAccount" || rb.Subjects[0].Name != g.Name || rb.Subjects[0].Namespace != "payments" {
		t.Errorf("subjects = %+v", rb.Subjects)
	}

	// The kubeconfig points at the cluster with the token and namespace.
	kc, err := clientcmd.Load(creds.Kubeconfig)
	if err != nil {
		t.Fatalf("kubeconfig: %v", err)
	}
	cur := kc.Contexts[kc.CurrentContext]
	if cur == nil || cur.Namespace != "payments" {
		t.Fatalf("current context = %+v", cur)
	}
	if kc.Clusters[cur.Cluster].Server != "https://prod-us.example:6443" || string(kc.Clusters[cur.Cluster].CertificateAuthorityData) != "CA PEM" {
		t.Errorf("cluster = %+v", kc.Clusters[cur.Cluster])
	}
	if kc.AuthInfos[cur.AuthInfo].Token != creds.Token {
		t.Error("kubeconfig does not carry the token")
	}

	// Idempotent: a second Issue reuses the objects and mints a new token.
	if _, err := iss.Issue(ctx, g); err != nil {
		t.Fatalf("second issue: %v", err)
	}
	if minted.Load() != 2 {
		t.Errorf("minted = %d, want 2", minted.Load())
	}
}

func TestIssueMinimumTTL(t *testing.T) {
	iss, _, _, ttl := newTestIssuer(t)
	g := testGrant()
	g.ExpiresAt = time.Unix(1_900_000_000, 0).Add(2 * time.Minute)
	if _, err := iss.Issue(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	if got := ttl.Load(); got != int64(MinTokenTTL/time.Second) {
		t.Errorf("ExpirationSeconds = %d, want the API minimum %d", got, int64(MinTokenTTL/time.Second))
	}
}

func TestIssueRepairsRoleBindingAndRefusesForeignObjects(t *testing.T) {
	ctx := context.Background()
	iss, cs, _, _ := newTestIssuer(t)
	g := testGrant()
	if _, err := iss.Issue(ctx, g); err != nil {
		t.Fatal(err)
	}
	g.ClusterRole = "edit"
	if _, err := iss.Issue(ctx, g); err != nil {
		t.Fatal(err)
	}
	rb, _ := cs.RbacV1().RoleBindings("payments").Get(ctx, g.Name, metav1.GetOptions{})
	if rb.RoleRef.Name != "edit" {
		t.Errorf("roleRef = %q after re-issue with edit", rb.RoleRef.Name)
	}

	// A ServiceAccount platbot did not make is never taken over.
	foreign := testGrant()
	foreign.Name = "someone-else"
	if _, err := cs.CoreV1().ServiceAccounts("payments").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "someone-else"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := iss.Issue(ctx, foreign)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("issue over a foreign serviceaccount: err = %v, want ErrRejected", err)
	}
	// And Revoke leaves it alone.
	if err := iss.Revoke(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts("payments").Get(ctx, "someone-else", metav1.GetOptions{}); err != nil {
		t.Errorf("foreign serviceaccount was deleted: %v", err)
	}
}

func TestIssueRejectsBadGrant(t *testing.T) {
	iss, _, _, _ := newTestIssuer(t)
	for _, g := range []Grant{
		{Name: "Bad_Name", Namespace: "payments", ClusterRole: "view", ExpiresAt: time.Now()},
		{Name: "ok", Namespace: "", ClusterRole: "view", ExpiresAt: time.Now()},
		{Name: "ok", Namespace: "payments", ExpiresAt: time.Now()},
		{Name: "ok", Namespace: "payments", ClusterRole: "view"},
	} {
		if _, err := iss.Issue(context.Background(), g); !errors.Is(err, ErrRejected) {
			t.Errorf("Issue(%+v) err = %v, want ErrRejected", g, err)
		}
	}
}

func TestRevokeDeletesAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	iss, cs, _, _ := newTestIssuer(t)
	g := testGrant()
	if _, err := iss.Issue(ctx, g); err != nil {
		t.Fatal(err)
	}
	names, err := iss.Managed(ctx, "")
	if err != nil || len(names) != 1 || names[0] != "payments/platbot-ar-abc" {
		t.Fatalf("Managed = %v, %v", names, err)
	}
	for i := 0; i < 2; i++ {
		if err := iss.Revoke(ctx, g); err != nil {
			t.Fatalf("revoke %d: %v", i, err)
		}
	}
	if _, err := cs.CoreV1().ServiceAccounts("payments").Get(ctx, g.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("serviceaccount still there: %v", err)
	}
	if _, err := cs.RbacV1().RoleBindings("payments").Get(ctx, g.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("rolebinding still there: %v", err)
	}
	// Minting for a revoked grant fails: the ServiceAccount is gone.
	if _, err := cs.CoreV1().ServiceAccounts("payments").CreateToken(ctx, g.Name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(600))}}, metav1.CreateOptions{}); err == nil {
		t.Error("token minted for a deleted serviceaccount")
	}
}

func TestTransientErrorsAreRetried(t *testing.T) {
	ctx := context.Background()
	iss, cs, _, _ := newTestIssuer(t)
	var fails atomic.Int32
	cs.PrependReactor("create", "rolebindings", func(k8stesting.Action) (bool, runtime.Object, error) {
		if fails.Add(1) <= 2 {
			return true, nil, apierrors.NewServiceUnavailable("etcd is sulking")
		}
		return false, nil, nil
	})
	if _, err := iss.Issue(ctx, testGrant()); err != nil {
		t.Fatalf("issue after two 503s: %v", err)
	}
	// Forbidden is final and marked as such.
	cs.PrependReactor("create", "rolebindings", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(rbacv1.Resource("rolebindings"), "x", errors.New("platbot may not bind edit"))
	})
	g := testGrant()
	g.Name = "platbot-ar-other"
	_, err := iss.Issue(ctx, g)
	if !errors.Is(err, ErrRejected) || !apierrors.IsForbidden(err) {
		t.Fatalf("err = %v, want ErrRejected wrapping Forbidden", err)
	}
	// Unavailable for good: not ErrRejected, so callers retry later.
	cs.PrependReactor("delete", "rolebindings", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("down")
	})
	err = iss.Revoke(ctx, testGrant())
	if err == nil || errors.Is(err, ErrRejected) {
		t.Fatalf("revoke while unavailable: err = %v", err)
	}
}

func TestCredentialsNeverPrintTheToken(t *testing.T) {
	c := Credentials{Username: "system:serviceaccount:a:b", Token: "SECRET-TOKEN", Kubeconfig: []byte("token: SECRET-TOKEN")}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("issued", "creds", c)
	b, _ := json.Marshal(c)
	for what, s := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c), "%s": fmt.Sprintf("%s", c),
		"json": string(b), "slog": logs.String(),
	} {
		if strings.Contains(s, "SECRET-TOKEN") {
			t.Errorf("%s shows the token: %s", what, s)
		}
	}
}

func TestNewIssuerFromKubeconfig(t *testing.T) {
	cfg := clientcmdapi.NewConfig()
	usCA, euCA := testCA(t, "us"), testCA(t, "eu")
	cfg.Clusters["us"] = &clientcmdapi.Cluster{Server: "https://us.example:6443", CertificateAuthorityData: usCA}
	cfg.Clusters["eu"] = &clientcmdapi.Cluster{Server: "https://eu.example:6443", CertificateAuthorityData: euCA}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: "admin-token"}
	cfg.Contexts["prod-us"] = &clientcmdapi.Context{Cluster: "us", AuthInfo: "admin"}
	cfg.Contexts["prod-eu"] = &clientcmdapi.Context{Cluster: "eu", AuthInfo: "admin"}
	cfg.CurrentContext = "prod-us"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	iss, err := NewIssuerFromKubeconfig(path, "prod-eu")
	if err != nil {
		t.Fatal(err)
	}
	if c := iss.Cluster(); c.Name != "prod-eu" || c.Server != "https://eu.example:6443" || !bytes.Equal(c.CAData, euCA) {
		t.Errorf("cluster = %+v", c)
	}
	iss, err = NewIssuerFromKubeconfig(path, "", WithServer("https://public-eu.example"))
	if err != nil {
		t.Fatal(err)
	}
	if c := iss.Cluster(); c.Server != "https://public-eu.example" || c.Name != "prod-us" || !bytes.Equal(c.CAData, usCA) {
		t.Errorf("current context with a server override: %+v", c)
	}
	if _, err := NewIssuerFromKubeconfig(path, "nope"); err == nil {
		t.Error("unknown context accepted")
	}
	if _, err := NewIssuerFromKubeconfig(filepath.Join(t.TempDir(), "missing"), "prod-us"); err == nil {
		t.Error("missing kubeconfig accepted")
	}
	// A KUBECONFIG-style list is merged as kubectl merges it: the EU
	// context lives in a second file.
	us := clientcmdapi.NewConfig()
	us.Clusters["us"], us.AuthInfos["admin"], us.Contexts["prod-us"] = cfg.Clusters["us"], cfg.AuthInfos["admin"], cfg.Contexts["prod-us"]
	eu := clientcmdapi.NewConfig()
	eu.Clusters["eu"], eu.AuthInfos["admin"], eu.Contexts["prod-eu"] = cfg.Clusters["eu"], cfg.AuthInfos["admin"], cfg.Contexts["prod-eu"]
	usPath, euPath := filepath.Join(t.TempDir(), "us"), filepath.Join(t.TempDir(), "eu")
	if err := clientcmd.WriteToFile(*us, usPath); err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.WriteToFile(*eu, euPath); err != nil {
		t.Fatal(err)
	}
	iss, err = NewIssuerFromKubeconfig(usPath+string(filepath.ListSeparator)+euPath, "prod-eu")
	if err != nil {
		t.Fatalf("kubeconfig list: %v", err)
	}
	if c := iss.Cluster(); c.Server != "https://eu.example:6443" || !bytes.Equal(c.CAData, euCA) {
		t.Errorf("cluster from the second file of the list = %+v", c)
	}
	_ = os.Remove(path)
}

// testCA returns a self-signed CA certificate in PEM.
func testCA(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + "-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func ptr[T any](v T) *T { return &v }
