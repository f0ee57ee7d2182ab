package kube_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/integrations/testenv"
)

// leaseRun is one replica's campaign for the Lease.
type leaseRun struct {
	leading atomic.Bool
	terms   atomic.Int32
	mu      sync.Mutex
	errs    []string
	cancel  context.CancelFunc
	done    chan struct{}
}

func (r *leaseRun) errors() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.errs, "\n")
}

func campaignLease(t *testing.T, el *kube.LeaseElector) *leaseRun {
	t.Helper()
	r := &leaseRun{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		el.Campaign(ctx, func(ctx context.Context) {
			r.terms.Add(1)
			r.leading.Store(true)
			<-ctx.Done()
			r.leading.Store(false)
		}, func(err error) {
			if err != nil {
				r.mu.Lock()
				r.errs = append(r.errs, err.Error())
				r.mu.Unlock()
			}
		})
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLeaseElector runs client-go leader election on a real kube-apiserver
// as the ServiceAccount deploy/ creates, with deploy/lease-rbac.yaml's Role:
// without the Role the start-up check names what to grant and a campaign
// reports the refusal and never leads; with it one replica leads at a time
// and a replica that stops hands the Lease over at once.
func TestLeaseElector(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k, err := testenv.StartKube(ctx)
	testenv.SkipOrFail(t, err)
	t.Cleanup(func() { k.Stop() })
	admin := kubernetes.NewForConfigOrDie(k.Config)
	const ns = "platbot"
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	as := func(sa string) *rest.Config {
		rc := rest.CopyConfig(k.Config)
		rc.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":" + sa}
		return rc
	}
	elector := func(sa, identity string) *kube.LeaseElector {
		el, err := kube.NewLeaseElector(as(sa), kube.LeaseConfig{
			Namespace: ns, Name: "platbot-leader", Identity: identity,
			LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond,
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return el
	}

	// Without the Role: refused at start with what to grant, and at run
	// time reported without ever leading.
	a := elector("platbot", "replica-a")
	err = a.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "may not get, update, create") || !strings.Contains(err.Error(), "deploy/lease-rbac.yaml") {
		t.Fatalf("Check without RBAC: %v", err)
	}
	refused := campaignLease(t, elector("platbot", "replica-x"))
	eventually(t, "the refusal is reported", func() bool { return strings.Contains(refused.errors(), "refused") })
	if !strings.Contains(refused.errors(), "deploy/lease-rbac.yaml") {
		t.Errorf("reported errors do not say what to grant: %s", refused.errors())
	}
	refused.cancel()
	<-refused.done
	if refused.terms.Load() != 0 {
		t.Fatal("a replica the API server refused led")
	}

	// The shipped Role and RoleBinding.
	applyLeaseRBAC(t, ctx, admin, ns)
	if err := a.Check(ctx); err != nil {
		t.Fatalf("Check with deploy/lease-rbac.yaml applied: %v", err)
	}
	if err := elector("someone-else", "replica-y").Check(ctx); err == nil {
		t.Error("Check passed for a ServiceAccount the RoleBinding does not name")
	}

	ra := campaignLease(t, a)
	eventually(t, "a leads", ra.leading.Load)
	rb := campaignLease(t, elector("platbot", "replica-b"))
	// A replica configured with a's identity (a shared PLATBOT_IDENTITY)
	// does not take a's Lease as its own.
	twin := campaignLease(t, elector("platbot", "replica-a"))
	// b keeps reading the Lease a holds and renews; it must not lead.
	lease, err := admin.CoordinationV1().Leases(ns).Get(ctx, "platbot-leader", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if lease.Spec.HolderIdentity == nil || !strings.HasPrefix(*lease.Spec.HolderIdentity, "replica-a_") {
		t.Fatalf("Lease holder = %v, want replica-a with its suffix", lease.Spec.HolderIdentity)
	}
	renewed := lease.Spec.RenewTime.Time
	eventually(t, "a renews the Lease", func() bool {
		l, err := admin.CoordinationV1().Leases(ns).Get(ctx, "platbot-leader", metav1.GetOptions{})
		return err == nil && l.Spec.RenewTime.After(renewed)
	})
	if rb.terms.Load() != 0 || twin.terms.Load() != 0 {
		t.Fatalf("b led %d times, a's twin %d times, while a held the Lease", rb.terms.Load(), twin.terms.Load())
	}
	twin.cancel()
	<-twin.done

	// a stops (SIGTERM): it gives the Lease up and b leads well before the
	// Lease would have lapsed.
	ra.cancel()
	<-ra.done
	eventually(t, "b leads after a gave the Lease up", rb.leading.Load)
	l, err := admin.CoordinationV1().Leases(ns).Get(ctx, "platbot-leader", metav1.GetOptions{})
	if err != nil || l.Spec.HolderIdentity == nil || !strings.HasPrefix(*l.Spec.HolderIdentity, "replica-b_") {
		t.Fatalf("Lease after the hand-over: %v, %v", l, err)
	}
	if ra.terms.Load() != 1 || ra.leading.Load() {
		t.Errorf("a: %d terms, leading %v", ra.terms.Load(), ra.leading.Load())
	}

	// Someone else takes the Lease (an operator, or a replica that saw it
	// lapse while b was cut off): b stops leading and leaves it alone.
	// b renews meanwhile: re-read and retry on a conflict, as any writer does.
	if err := retry.RetryOnConflict(wait.Backoff{Steps: 100, Duration: 5 * time.Millisecond, Factor: 1.1, Jitter: 1}, func() error {
		cur, err := admin.CoordinationV1().Leases(ns).Get(ctx, "platbot-leader", metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Spec.HolderIdentity = ptr("intruder")
		cur.Spec.LeaseDurationSeconds = ptr(int32(3600))
		cur.Spec.RenewTime = &metav1.MicroTime{Time: time.Now()}
		_, err = admin.CoordinationV1().Leases(ns).Update(ctx, cur, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b stops leading once the Lease is someone else's", func() bool { return !rb.leading.Load() })
	l, err = admin.CoordinationV1().Leases(ns).Get(ctx, "platbot-leader", metav1.GetOptions{})
	if err != nil || *l.Spec.HolderIdentity != "intruder" {
		t.Fatalf("Lease after b lost it: %v, %v; want it left to its holder", l, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestLeaseElectorTiming: timing client-go would refuse is refused when the
// elector is built, at start, not when it first campaigns.
func TestLeaseElectorTiming(t *testing.T) {
	cs := fake.NewSimpleClientset()
	for _, tc := range []struct {
		cfg  kube.LeaseConfig
		want string
	}{
		{kube.LeaseConfig{LeaseDuration: 5 * time.Second, RenewDeadline: 2100 * time.Millisecond, RetryPeriod: 2 * time.Second}, "renewDeadline must be greater than retryPeriod*JitterFactor"},
		{kube.LeaseConfig{LeaseDuration: 5 * time.Second, RenewDeadline: 6 * time.Second, RetryPeriod: time.Second}, "leaseDuration must be greater than renewDeadline"},
	} {
		tc.cfg.Namespace, tc.cfg.Name, tc.cfg.Identity = "platbot", "platbot-leader", "replica-a"
		if _, err := kube.NewLeaseElectorFor(cs, tc.cfg, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := kube.NewLeaseElectorFor(cs, kube.LeaseConfig{Namespace: "platbot", Name: "platbot-leader", Identity: "replica-a"}, nil); err != nil {
		t.Errorf("the defaults: %v", err)
	}
}

// applyLeaseRBAC creates deploy/lease-rbac.yaml's objects in ns, the
// RoleBinding's subject in ns as kustomize sets it.
func applyLeaseRBAC(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns string) {
	t.Helper()
	data, err := os.ReadFile("../../deploy/lease-rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := bytes.Split(data, []byte("\n---\n"))
	if len(docs) != 2 {
		t.Fatalf("deploy/lease-rbac.yaml has %d documents, want a Role and a RoleBinding", len(docs))
	}
	var role rbacv1.Role
	var binding rbacv1.RoleBinding
	if err := sigsyaml.UnmarshalStrict(docs[0], &role); err != nil {
		t.Fatal(err)
	}
	if err := sigsyaml.UnmarshalStrict(docs[1], &binding); err != nil {
		t.Fatal(err)
	}
	for i := range binding.Subjects {
		binding.Subjects[i].Namespace = ns
	}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
