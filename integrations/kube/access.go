package kube

// This file issues short-lived Kubernetes credentials for platbot's
// self-service access: a ServiceAccount named after the request, a
// RoleBinding in the service's namespace to a ClusterRole, and a token from
// the TokenRequest API. Revoking deletes both objects, which invalidates
// every token ever minted for the ServiceAccount.
//
// Tokens never appear in this file's errors, logs or String forms.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Labels and annotations platbot puts on the objects it issues.
const (
	LabelManagedBy       = "app.kubernetes.io/managed-by"
	ManagedByPlatbot     = "platbot"
	LabelAccessRequest   = "platbot.dev/access-request"
	AnnotationRequester  = "platbot.dev/requester"
	AnnotationRequestRef = "platbot.dev/requester-ref"
	AnnotationExpiresAt  = "platbot.dev/expires-at"
)

// MinTokenTTL is the shortest token the TokenRequest API issues.
const MinTokenTTL = 10 * time.Minute

// ErrRejected is wrapped by errors the cluster will give again on a retry:
// the namespace or ServiceAccount is missing, platbot may not do it, the
// object is invalid or belongs to someone else.
var ErrRejected = errors.New("rejected by the cluster")

// Grant names the credentials to issue or revoke.
type Grant struct {
	// Name is the ServiceAccount and RoleBinding name (a DNS label).
	Name string
	// Namespace is where the RoleBinding is made (the service's namespace).
	Namespace string
	// ServiceAccountNamespace is where the ServiceAccount lives (Namespace
	// when empty).
	ServiceAccountNamespace string
	// ClusterRole is what the RoleBinding grants in Namespace.
	ClusterRole string
	// ExpiresAt is when the token stops working (at least MinTokenTTL from
	// now; revocation ends it sooner).
	ExpiresAt time.Time
	// RequestID, Requester and RequesterRef are recorded on the objects so
	// the cluster side can be tied back to a person.
	RequestID    string
	Requester    string
	RequesterRef string
	// Namespaces says where the platform allows access to be bound; Issue
	// refuses a Namespace it does not allow (see CheckNamespace). Revoke
	// ignores it, so a grant can always be cleaned up.
	Namespaces NamespaceRule
}

func (g Grant) saNamespace() string {
	if g.ServiceAccountNamespace != "" {
		return g.ServiceAccountNamespace
	}
	return g.Namespace
}

// Username is the Kubernetes identity of the grant's ServiceAccount, as it
// appears in cluster audit logs: system:serviceaccount:<ns>:<name>.
func (g Grant) Username() string {
	return "system:serviceaccount:" + g.saNamespace() + ":" + g.Name
}

// Credentials are issued credentials. Token and Kubeconfig are secret: they
// are excluded from JSON and from every printed or logged form.
type Credentials struct {
	// Username is system:serviceaccount:<ns>:<name>.
	Username string `json:"username"`
	// Server is the API server URL written into Kubeconfig.
	Server string `json:"server"`
	// ExpiresAt is the token's expiry as the API server set it.
	ExpiresAt time.Time `json:"expires_at"`
	// TokenID is the token's credential id (its JWT "jti" claim), which the
	// API server writes into its audit log as
	// authentication.kubernetes.io/credential-id; "" when absent.
	TokenID string `json:"token_id,omitempty"`
	// Token is the bearer token.
	Token string `json:"-"`
	// Kubeconfig is a kubeconfig file using Token.
	Kubeconfig []byte `json:"-"`
	// DryRun is set by a DryRunIssuer: nothing was created, there is no
	// token and no kubeconfig, and Objects shows what would have been made.
	DryRun bool `json:"dry_run,omitempty"`
	// Objects is the YAML of the ServiceAccount and RoleBinding a dry run
	// would have created.
	Objects []byte `json:"-"`
}

// String describes the credentials without the token.
func (c Credentials) String() string {
	return fmt.Sprintf("credentials{%s until %s, token redacted}", c.Username, c.ExpiresAt.UTC().Format(time.RFC3339))
}

// GoString is String, so %#v does not print the token either.
func (c Credentials) GoString() string { return c.String() }

// LogValue keeps the token out of slog output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("username", c.Username),
		slog.Time("expires_at", c.ExpiresAt),
		slog.String("token", "REDACTED"),
	)
}

// Cluster describes how users reach the cluster, for the kubeconfigs the
// issuer writes.
type Cluster struct {
	// Name names the cluster and context in issued kubeconfigs.
	Name string
	// Server is the API server URL users connect to.
	Server string
	// CAData is the PEM bundle that signs the API server's certificate
	// (empty to use the system roots).
	CAData []byte
	// Insecure skips TLS verification (test clusters only).
	Insecure bool
}

// Issuer issues and revokes access on one cluster. It is safe for
// concurrent use.
type Issuer struct {
	cs      kubernetes.Interface
	cluster Cluster
	// own is the namespace platbot itself runs in ("" when unknown); it is
	// refused like the system namespaces.
	own     string
	log     *slog.Logger
	retries int
	backoff time.Duration
	now     func() time.Time
}

// IssuerOption configures an Issuer.
type IssuerOption func(*Issuer)

// WithLogger sets the logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) IssuerOption {
	return func(i *Issuer) {
		if l != nil {
			i.log = l
		}
	}
}

// WithRetries sets how often a call that failed transiently (timeout, 429,
// 5xx, connection error) is retried, and the first backoff (doubled each
// time). Default 3 and 250ms.
func WithRetries(n int, backoff time.Duration) IssuerOption {
	return func(i *Issuer) {
		i.retries, i.backoff = max(n, 0), backoff
	}
}

// WithClock sets the time source (tests).
func WithClock(now func() time.Time) IssuerOption {
	return func(i *Issuer) {
		if now != nil {
			i.now = now
		}
	}
}

// WithServer overrides the API server URL written into issued kubeconfigs
// (when platbot reaches the cluster by an address users cannot, such as the
// in-cluster service address).
func WithServer(url string) IssuerOption {
	return func(i *Issuer) {
		if url != "" {
			i.cluster.Server = url
		}
	}
}

// WithOwnNamespace names the namespace platbot itself runs in, which the
// issuer never binds access in (NewIssuerFromKubeconfig finds it, inside a
// pod, from the pod's service account).
func WithOwnNamespace(ns string) IssuerOption {
	return func(i *Issuer) {
		if ns != "" {
			i.own = ns
		}
	}
}

// NewIssuer returns an issuer over a typed clientset (kubernetes.NewForConfig
// for a real cluster, k8s.io/client-go/kubernetes/fake in tests).
func NewIssuer(cs kubernetes.Interface, cluster Cluster, opts ...IssuerOption) *Issuer {
	i := &Issuer{cs: cs, cluster: cluster, log: slog.Default(), retries: 3, backoff: 250 * time.Millisecond, now: time.Now}
	for _, o := range opts {
		o(i)
	}
	if i.cluster.Name == "" {
		i.cluster.Name = "platbot"
	}
	i.log = i.log.With("component", "kube.issuer", "cluster", i.cluster.Name)
	return i
}

// RequestTimeout bounds each API call of an issuer made by
// NewIssuerFromKubeconfig.
const RequestTimeout = 15 * time.Second

// NewIssuerFromKubeconfig returns an issuer for a context of a kubeconfig
// file. An empty path uses $KUBECONFIG (or ~/.kube/config), and the
// in-cluster config when none exists; an empty context uses the current one.
func NewIssuerFromKubeconfig(path, kubeContext string, opts ...IssuerOption) (*Issuer, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	// One file must exist; a list (a:b, as in KUBECONFIG) is merged the way
	// kubectl merges it.
	switch files := filepath.SplitList(path); {
	case len(files) > 1:
		rules.Precedence = files
	case path != "":
		rules.ExplicitPath = path
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: kubeContext}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	rc, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kube: load kubeconfig %q context %q: %w", path, kubeContext, err)
	}
	rc = rest.CopyConfig(rc)
	if rc.Timeout == 0 {
		rc.Timeout = RequestTimeout
	}
	rc.UserAgent = "platbot-access"
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("kube: client for context %q: %w", kubeContext, err)
	}
	ca := rc.TLSClientConfig.CAData
	if len(ca) == 0 && rc.TLSClientConfig.CAFile != "" {
		if ca, err = os.ReadFile(rc.TLSClientConfig.CAFile); err != nil {
			return nil, fmt.Errorf("kube: read CA of context %q: %w", kubeContext, err)
		}
	}
	name := kubeContext
	if name == "" {
		if raw, err := cc.RawConfig(); err == nil {
			name = raw.CurrentContext
		}
	}
	// A kubeconfig context's namespace is only kubectl's default, often
	// "default"; where platbot runs is known inside a pod only.
	opts = append([]IssuerOption{WithOwnNamespace(inClusterNamespace())}, opts...)
	return NewIssuer(cs, Cluster{Name: name, Server: rc.Host, CAData: ca, Insecure: rc.TLSClientConfig.Insecure}, opts...), nil
}

// Cluster returns what the issuer writes into kubeconfigs.
func (i *Issuer) Cluster() Cluster { return i.cluster }

// Issue makes sure the grant's ServiceAccount and RoleBinding exist (creating
// them, or repairing a RoleBinding that points elsewhere) and mints a token
// for the ServiceAccount that expires at g.ExpiresAt. It is idempotent: a
// retry finds the objects in place and mints another token.
func (i *Issuer) Issue(ctx context.Context, g Grant) (*Credentials, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	if err := i.CheckNamespace(ctx, g.Namespace, g.ServiceAccountNamespace, g.Namespaces); err != nil {
		return nil, err
	}
	if err := i.ensureServiceAccount(ctx, g); err != nil {
		return nil, err
	}
	if err := i.ensureRoleBinding(ctx, g); err != nil {
		return nil, err
	}
	ttl := g.ExpiresAt.Sub(i.now())
	if ttl < MinTokenTTL {
		ttl = MinTokenTTL
	}
	secs := int64(ttl.Round(time.Second) / time.Second)
	var tr *authenticationv1.TokenRequest
	err := i.retry(ctx, "create token", func() error {
		var err error
		tr, err = i.cs.CoreV1().ServiceAccounts(g.saNamespace()).CreateToken(ctx, g.Name,
			&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}},
			metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return nil, i.wrap(err, "create token for serviceaccount %s/%s", g.saNamespace(), g.Name)
	}
	if tr == nil || tr.Status.Token == "" {
		return nil, fmt.Errorf("kube: create token for serviceaccount %s/%s: the API server returned no token", g.saNamespace(), g.Name)
	}
	creds := &Credentials{
		Username:  g.Username(),
		Server:    i.cluster.Server,
		ExpiresAt: tr.Status.ExpirationTimestamp.Time,
		TokenID:   tokenID(tr.Status.Token),
		Token:     tr.Status.Token,
	}
	if creds.ExpiresAt.IsZero() {
		creds.ExpiresAt = i.now().Add(ttl)
	}
	if creds.Kubeconfig, err = i.kubeconfig(g, tr.Status.Token); err != nil {
		return nil, err
	}
	i.log.Info("access issued", "request", g.RequestID, "username", creds.Username,
		"namespace", g.Namespace, "clusterrole", g.ClusterRole, "expires_at", creds.ExpiresAt)
	return creds, nil
}

// Revoke deletes the grant's RoleBinding and ServiceAccount, so every token
// of the ServiceAccount stops working. Objects already gone are not an
// error, so a retried revocation succeeds; objects platbot did not make are
// left alone.
func (i *Issuer) Revoke(ctx context.Context, g Grant) error {
	if g.Name == "" || g.Namespace == "" {
		return fmt.Errorf("kube: revoke: %w: grant needs a name and a namespace", ErrRejected)
	}
	rbs := i.cs.RbacV1().RoleBindings(g.Namespace)
	err := i.retry(ctx, "delete rolebinding", func() error {
		rb, err := rbs.Get(ctx, g.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !managed(rb.ObjectMeta) {
			return nil
		}
		return rbs.Delete(ctx, g.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &rb.UID}})
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return i.wrap(err, "delete rolebinding %s/%s", g.Namespace, g.Name)
	}
	sas := i.cs.CoreV1().ServiceAccounts(g.saNamespace())
	err = i.retry(ctx, "delete serviceaccount", func() error {
		sa, err := sas.Get(ctx, g.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !managed(sa.ObjectMeta) {
			return nil
		}
		return sas.Delete(ctx, g.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &sa.UID}})
	})
	if err != nil && !apierrors.IsNotFound(err) {
		return i.wrap(err, "delete serviceaccount %s/%s", g.saNamespace(), g.Name)
	}
	i.log.Info("access revoked", "request", g.RequestID, "username", g.Username(), "namespace", g.Namespace)
	return nil
}

// Managed lists the names of the ServiceAccounts platbot issued in a
// namespace ("" for all namespaces), as namespace/name, for sweeping.
func (i *Issuer) Managed(ctx context.Context, namespace string) ([]string, error) {
	var out []string
	err := i.retry(ctx, "list serviceaccounts", func() error {
		list, err := i.cs.CoreV1().ServiceAccounts(namespace).List(ctx, metav1.ListOptions{
			LabelSelector: LabelManagedBy + "=" + ManagedByPlatbot + "," + LabelAccessRequest,
		})
		if err != nil {
			return err
		}
		out = out[:0]
		for _, sa := range list.Items {
			out = append(out, sa.Namespace+"/"+sa.Name)
		}
		return nil
	})
	if err != nil {
		return nil, i.wrap(err, "list platbot serviceaccounts in %q", namespace)
	}
	return out, nil
}

func (g Grant) check() error {
	var problems []string
	for _, f := range []struct{ what, v string }{{"name", g.Name}, {"namespace", g.Namespace}, {"serviceaccount namespace", g.saNamespace()}} {
		if errs := validation.IsDNS1123Label(f.v); len(errs) > 0 {
			problems = append(problems, fmt.Sprintf("%s %q: %s", f.what, f.v, strings.Join(errs, "; ")))
		}
	}
	if g.ClusterRole == "" {
		problems = append(problems, "no clusterrole")
	}
	if g.ExpiresAt.IsZero() {
		problems = append(problems, "no expiry")
	}
	if len(problems) > 0 {
		return fmt.Errorf("kube: issue: %w: %s", ErrRejected, strings.Join(problems, ", "))
	}
	return nil
}

func (g Grant) meta() metav1.ObjectMeta {
	labels := map[string]string{LabelManagedBy: ManagedByPlatbot}
	if len(validation.IsValidLabelValue(g.RequestID)) == 0 {
		labels[LabelAccessRequest] = g.RequestID
	}
	ann := map[string]string{AnnotationExpiresAt: g.ExpiresAt.UTC().Format(time.RFC3339)}
	if g.Requester != "" {
		ann[AnnotationRequester] = g.Requester
	}
	if g.RequesterRef != "" {
		ann[AnnotationRequestRef] = g.RequesterRef
	}
	return metav1.ObjectMeta{Name: g.Name, Labels: labels, Annotations: ann}
}

func managed(m metav1.ObjectMeta) bool { return m.Labels[LabelManagedBy] == ManagedByPlatbot }

// serviceAccount is the ServiceAccount a grant makes.
func (g Grant) serviceAccount() *corev1.ServiceAccount {
	sa := &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: g.meta(),
	}
	sa.Namespace = g.saNamespace()
	automount := false
	sa.AutomountServiceAccountToken = &automount
	return sa
}

// roleBinding is the RoleBinding a grant makes.
func (g Grant) roleBinding() *rbacv1.RoleBinding {
	rb := &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
		ObjectMeta: g.meta(),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: g.ClusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: g.Name, Namespace: g.saNamespace()}},
	}
	rb.Namespace = g.Namespace
	return rb
}

func (i *Issuer) ensureServiceAccount(ctx context.Context, g Grant) error {
	sas := i.cs.CoreV1().ServiceAccounts(g.saNamespace())
	want := g.serviceAccount()
	err := i.retry(ctx, "create serviceaccount", func() error {
		_, err := sas.Create(ctx, want, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			cur, gerr := sas.Get(ctx, g.Name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			if !managed(cur.ObjectMeta) {
				return fmt.Errorf("%w: serviceaccount %s/%s exists and was not made by platbot", ErrRejected, g.saNamespace(), g.Name)
			}
			return nil
		}
		return err
	})
	if err != nil {
		return i.wrap(err, "create serviceaccount %s/%s", g.saNamespace(), g.Name)
	}
	return nil
}

func (i *Issuer) ensureRoleBinding(ctx context.Context, g Grant) error {
	rbs := i.cs.RbacV1().RoleBindings(g.Namespace)
	want := g.roleBinding()
	err := i.retry(ctx, "create rolebinding", func() error {
		_, err := rbs.Create(ctx, want, metav1.CreateOptions{})
		if !apierrors.IsAlreadyExists(err) {
			return err
		}
		cur, gerr := rbs.Get(ctx, g.Name, metav1.GetOptions{})
		if gerr != nil {
			return gerr
		}
		if !managed(cur.ObjectMeta) {
			return fmt.Errorf("%w: rolebinding %s/%s exists and was not made by platbot", ErrRejected, g.Namespace, g.Name)
		}
		if cur.RoleRef == want.RoleRef && len(cur.Subjects) == 1 && cur.Subjects[0] == want.Subjects[0] {
			return nil
		}
		// roleRef is immutable: replace a binding that grants something else.
		if derr := rbs.Delete(ctx, g.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &cur.UID}}); derr != nil && !apierrors.IsNotFound(derr) {
			return derr
		}
		_, err = rbs.Create(ctx, want, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return i.wrap(err, "create rolebinding %s/%s to clusterrole %s", g.Namespace, g.Name, g.ClusterRole)
	}
	return nil
}

// kubeconfig renders a kubeconfig that authenticates with token.
func (i *Issuer) kubeconfig(g Grant, token string) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	user := "platbot-" + g.Name
	ctxName := i.cluster.Name + "-" + g.Namespace
	cfg.Clusters[i.cluster.Name] = &clientcmdapi.Cluster{
		Server:                   i.cluster.Server,
		CertificateAuthorityData: i.cluster.CAData,
		InsecureSkipTLSVerify:    i.cluster.Insecure,
	}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[ctxName] = &clientcmdapi.Context{Cluster: i.cluster.Name, AuthInfo: user, Namespace: g.Namespace}
	cfg.CurrentContext = ctxName
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("kube: render kubeconfig for %s: %w", g.Username(), err)
	}
	return b, nil
}

// tokenID returns the "jti" claim of a JWT without verifying it ("" when
// there is none). Only the claim is returned, never the token.
func tokenID(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct {
		JTI string `json:"jti"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.JTI
}

// transient reports whether an API error may go away on a retry.
func transient(err error) bool {
	if err == nil || errors.Is(err, ErrRejected) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch {
	case apierrors.IsServerTimeout(err), apierrors.IsTimeout(err), apierrors.IsTooManyRequests(err),
		apierrors.IsInternalError(err), apierrors.IsServiceUnavailable(err), apierrors.IsUnexpectedServerError(err):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		return se.Status().Code >= 500
	}
	// Connection refused and friends surface as *url.Error wrapping a
	// syscall error, which net.Error covers; anything else is final.
	return false
}

// retry runs f until it succeeds, fails for good, or the retries are used.
func (i *Issuer) retry(ctx context.Context, what string, f func() error) error {
	wait := i.backoff
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || !transient(err) || attempt >= i.retries {
			return err
		}
		i.log.Warn("kube call failed, retrying", "call", what, "attempt", attempt+1, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 2
	}
}

// wrap adds context to an API error and marks the final ones with
// ErrRejected.
func (i *Issuer) wrap(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if errors.Is(err, ErrRejected) {
		return fmt.Errorf("kube: %s: %w", msg, err)
	}
	switch {
	case apierrors.IsNotFound(err), apierrors.IsForbidden(err), apierrors.IsUnauthorized(err),
		apierrors.IsInvalid(err), apierrors.IsBadRequest(err), apierrors.IsMethodNotSupported(err):
		return fmt.Errorf("kube: %s: %w: %w", msg, ErrRejected, err)
	}
	return fmt.Errorf("kube: %s: %w", msg, err)
}
