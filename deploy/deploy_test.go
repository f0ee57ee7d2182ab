package deploy

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/platbot/platbot/integrations/testenv"
)

// One real control plane (etcd + kube-apiserver on loopback) for the
// package; the dry-run test skips (or fails in CI) when it did not start.
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

// httpShutdown is how long serve gives its HTTP servers to finish their
// requests after SIGTERM (cmd/platbot/serve.go).
const httpShutdown = 10

// render builds the kustomization in this folder the way `kubectl apply -k`
// does, in memory: this folder's files (secret.env from
// secret.env.example, so a filled-in secret.env is never read) under
// /deploy, plus overlay files, each a path relative to / and its content.
// It builds dir ("/deploy" for the kustomization itself) and returns the
// objects as YAML, one document each.
func render(t *testing.T, dir string, overlay map[string]string) [][]byte {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".go") || p == "secret.env" || p == "README.md" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if p == "secret.env.example" {
			p = "secret.env"
		}
		return writeMem(mem, path.Join("/deploy", filepath.ToSlash(p)), data)
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, content := range overlay {
		if err := writeMem(mem, path.Join("/", p), []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var docs [][]byte
	for _, r := range res.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatalf("%s: %v", r.CurId(), err)
		}
		docs = append(docs, y)
	}
	return docs
}

func writeMem(mem filesys.FileSystem, p string, data []byte) error {
	if err := mem.MkdirAll(path.Dir(p)); err != nil {
		return err
	}
	return mem.WriteFile(p, data)
}

// manifests are the rendered objects, each decoded into its Go type.
type manifests struct {
	namespace      *corev1.Namespace
	serviceAccount *corev1.ServiceAccount
	deployment     *appsv1.Deployment
	service        *corev1.Service
	pdb            *policyv1.PodDisruptionBudget
	configMap      *corev1.ConfigMap
	secret         *corev1.Secret
	role           *rbacv1.Role
	roleBinding    *rbacv1.RoleBinding
	clusterRoles   map[string]*rbacv1.ClusterRole
	clusterBinding *rbacv1.ClusterRoleBinding
}

// strictDecoder decodes YAML into the registered Kubernetes types and fails
// on unknown or duplicate fields.
var strictDecoder = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// decode decodes every document strictly with its real type; an unknown
// field, an unregistered kind, a second object of a kind the deployment has
// one of, or an object no test expects is an error.
func decode(t *testing.T, docs [][]byte) *manifests {
	t.Helper()
	m := &manifests{clusterRoles: map[string]*rbacv1.ClusterRole{}}
	seen := map[string]bool{}
	for _, doc := range docs {
		obj, gvk, err := strictDecoder.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("decoding strictly:\n%s\n%v", doc, err)
		}
		if gvk.Kind != "ClusterRole" && seen[gvk.Kind] {
			t.Fatalf("a second %s:\n%s", gvk.Kind, doc)
		}
		seen[gvk.Kind] = true
		switch o := obj.(type) {
		case *corev1.Namespace:
			m.namespace = o
		case *corev1.ServiceAccount:
			m.serviceAccount = o
		case *appsv1.Deployment:
			m.deployment = o
		case *corev1.Service:
			m.service = o
		case *policyv1.PodDisruptionBudget:
			m.pdb = o
		case *corev1.ConfigMap:
			m.configMap = o
		case *corev1.Secret:
			m.secret = o
		case *rbacv1.Role:
			m.role = o
		case *rbacv1.RoleBinding:
			m.roleBinding = o
		case *rbacv1.ClusterRole:
			m.clusterRoles[o.Name] = o
		case *rbacv1.ClusterRoleBinding:
			m.clusterBinding = o
		default:
			t.Fatalf("unexpected %s in the kustomization", gvk)
		}
	}
	for name, missing := range map[string]bool{
		"Namespace": m.namespace == nil, "ServiceAccount": m.serviceAccount == nil,
		"Deployment": m.deployment == nil, "Service": m.service == nil,
		"PodDisruptionBudget": m.pdb == nil, "ConfigMap": m.configMap == nil,
		"Secret": m.secret == nil, "Role": m.role == nil, "RoleBinding": m.roleBinding == nil,
	} {
		if missing {
			t.Errorf("the kustomization has no %s", name)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return m
}

// container returns the platbot container and its environment by name.
func (m *manifests) container(t *testing.T) (*corev1.Container, map[string]string) {
	t.Helper()
	cs := m.deployment.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("the pod has %d containers, want 1 (platbot)", len(cs))
	}
	env := map[string]string{}
	for _, e := range cs[0].Env {
		if e.ValueFrom != nil {
			t.Fatalf("env %s is not a plain value", e.Name)
		}
		env[e.Name] = e.Value
	}
	return &cs[0], env
}

// portOf returns the port number of a listen address such as ":8080".
func portOf(t *testing.T, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("listen address %q: %v", addr, err)
	}
	var n int32
	if _, err := fmt.Sscanf(p, "%d", &n); err != nil {
		t.Fatalf("listen address %q: %v", addr, err)
	}
	return n
}

// containerPort resolves a probe or Service target port (a name or a
// number) to a port the container declares, failing when it declares none.
func containerPort(t *testing.T, c *corev1.Container, p intstr.IntOrString) int32 {
	t.Helper()
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return cp.ContainerPort
		}
	}
	t.Fatalf("port %s is not a port of container %s", p.String(), c.Name)
	return 0
}

// haConfig is the part of platbot.yaml that names the leader Lease.
type haConfig struct {
	HA struct {
		LeaderElection struct {
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"leaderElection"`
	} `json:"ha"`
}

// configFile returns the ConfigMap key that PLATBOT_CONFIG names, checking
// that the file is where the ConfigMap is mounted.
func (m *manifests) configFile(t *testing.T) string {
	t.Helper()
	c, env := m.container(t)
	cfgPath := env["PLATBOT_CONFIG"]
	if cfgPath == "" {
		t.Fatal("PLATBOT_CONFIG is not set: platbot would not read the ConfigMap")
	}
	vols := m.deployment.Spec.Template.Spec.Volumes
	for _, vm := range c.VolumeMounts {
		if vm.MountPath != path.Dir(cfgPath) {
			continue
		}
		for _, v := range vols {
			if v.Name == vm.Name && v.ConfigMap != nil && v.ConfigMap.Name == m.configMap.Name {
				data, ok := m.configMap.Data[path.Base(cfgPath)]
				if !ok {
					t.Fatalf("ConfigMap %s has no key %s (PLATBOT_CONFIG=%s)", m.configMap.Name, path.Base(cfgPath), cfgPath)
				}
				return data
			}
		}
	}
	t.Fatalf("PLATBOT_CONFIG=%s is not in a mount of ConfigMap %s", cfgPath, m.configMap.Name)
	return ""
}

func TestDeploymentManifests(t *testing.T) {
	m := decode(t, render(t, "/deploy", nil))
	ns := m.namespace.Name
	pod := m.deployment.Spec.Template.Spec
	c, env := m.container(t)
	podLabels := m.deployment.Spec.Template.Labels

	t.Run("namespace", func(t *testing.T) {
		for _, o := range []metav1.Object{m.serviceAccount, m.deployment, m.service, m.pdb, m.configMap, m.secret, m.role, m.roleBinding} {
			if o.GetNamespace() != ns {
				t.Errorf("%s is in namespace %q, want %q", o.GetName(), o.GetNamespace(), ns)
			}
		}
		// Pod Security "restricted" makes the API server refuse a pod that
		// could run as root or gain privileges.
		if got := m.namespace.Labels["pod-security.kubernetes.io/enforce"]; got != "restricted" {
			t.Errorf("namespace enforces Pod Security %q, want restricted", got)
		}
	})

	t.Run("three replicas", func(t *testing.T) {
		if r := m.deployment.Spec.Replicas; r == nil || *r != 3 {
			t.Errorf("replicas = %s, want 3", deref(r))
		}
		sel, err := metav1.LabelSelectorAsSelector(m.deployment.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(podLabels)) {
			t.Errorf("the Deployment's selector %v does not match its pods' labels %v (%v)", m.deployment.Spec.Selector, podLabels, err)
		}
		if ru := m.deployment.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
			t.Errorf("rolling update %+v: want maxUnavailable 0, so three replicas stay ready", ru)
		}
	})

	t.Run("spread over nodes", func(t *testing.T) {
		var hostname bool
		for _, tsc := range pod.TopologySpreadConstraints {
			sel, err := metav1.LabelSelectorAsSelector(tsc.LabelSelector)
			if err != nil || !sel.Matches(labels.Set(podLabels)) {
				t.Errorf("spread over %s selects %v, not the platbot pods %v", tsc.TopologyKey, tsc.LabelSelector, podLabels)
			}
			if tsc.TopologyKey == corev1.LabelHostname && tsc.WhenUnsatisfiable == corev1.DoNotSchedule && tsc.MaxSkew == 1 {
				hostname = true
			}
		}
		if !hostname {
			t.Error("no topology spread constraint keeps the replicas on different nodes")
		}
	})

	t.Run("probes", func(t *testing.T) {
		addrPort, opsPort := portOf(t, env["PLATBOT_ADDR"]), portOf(t, env["PLATBOT_METRICS_ADDR"])
		check := func(what string, p *corev1.Probe, wantPath string) {
			t.Helper()
			if p == nil || p.HTTPGet == nil {
				t.Errorf("%s probe: want an HTTP GET of %s", what, wantPath)
				return
			}
			if p.HTTPGet.Path != wantPath {
				t.Errorf("%s probe asks %s, want %s", what, p.HTTPGet.Path, wantPath)
			}
			// serve answers /healthz and /readyz on PLATBOT_ADDR and on
			// PLATBOT_METRICS_ADDR, nowhere else.
			if port := containerPort(t, c, p.HTTPGet.Port); port != addrPort && port != opsPort {
				t.Errorf("%s probe on port %d: platbot listens on %d and %d", what, port, addrPort, opsPort)
			}
		}
		check("readiness", c.ReadinessProbe, "/readyz")
		check("liveness", c.LivenessProbe, "/healthz")
		check("startup", c.StartupProbe, "/healthz")
	})

	t.Run("service", func(t *testing.T) {
		sel := labels.Set(m.service.Spec.Selector)
		if len(sel) == 0 || !sel.AsSelector().Matches(labels.Set(podLabels)) {
			t.Errorf("Service selector %v does not select the pods %v", m.service.Spec.Selector, podLabels)
		}
		want := map[string]int32{"http": portOf(t, env["PLATBOT_ADDR"]), "metrics": portOf(t, env["PLATBOT_METRICS_ADDR"])}
		for _, sp := range m.service.Spec.Ports {
			w, ok := want[sp.Name]
			if !ok {
				t.Errorf("Service port %s: no such endpoint", sp.Name)
				continue
			}
			if got := containerPort(t, c, sp.TargetPort); got != w {
				t.Errorf("Service port %s reaches container port %d, want %d", sp.Name, got, w)
			}
			delete(want, sp.Name)
		}
		for name := range want {
			t.Errorf("the Service has no port %s", name)
		}
	})

	t.Run("disruption budget", func(t *testing.T) {
		sel, err := metav1.LabelSelectorAsSelector(m.pdb.Spec.Selector)
		if err != nil || !sel.Matches(labels.Set(podLabels)) {
			t.Errorf("PDB selector %v does not select the pods %v (%v)", m.pdb.Spec.Selector, podLabels, err)
		}
		if mu := m.pdb.Spec.MaxUnavailable; mu == nil || mu.IntValue() != 1 || m.pdb.Spec.MinAvailable != nil {
			t.Errorf("PDB maxUnavailable %v minAvailable %v: want maxUnavailable 1", mu, m.pdb.Spec.MinAvailable)
		}
	})

	t.Run("non-root, read-only root filesystem", func(t *testing.T) {
		psc, csc := pod.SecurityContext, c.SecurityContext
		if psc == nil || csc == nil {
			t.Fatal("want pod and container securityContext")
		}
		if !isTrue(psc.RunAsNonRoot) || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
			t.Errorf("pod runAsNonRoot %s runAsUser %s: want a non-root user", deref(psc.RunAsNonRoot), deref(psc.RunAsUser))
		}
		if !isTrue(csc.ReadOnlyRootFilesystem) {
			t.Error("readOnlyRootFilesystem is not true")
		}
		if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
			t.Error("allowPrivilegeEscalation is not false")
		}
		if csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(csc.Capabilities.Add) > 0 {
			t.Errorf("capabilities %+v: want all dropped, none added", csc.Capabilities)
		}
		if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("seccomp %+v: want RuntimeDefault", psc.SeccompProfile)
		}
		// With the root filesystem read-only, the data folder and /tmp
		// must be writable volumes.
		for _, dir := range []string{env["PLATBOT_DATA_DIR"], "/tmp"} {
			if dir == "" {
				t.Error("PLATBOT_DATA_DIR is not set: the image's default is on the read-only root filesystem")
				continue
			}
			if !onEmptyDir(c, pod.Volumes, dir) {
				t.Errorf("%s is not on a writable emptyDir volume", dir)
			}
		}
		// A Service named platbot would otherwise inject PLATBOT_PORT & co.
		if pod.EnableServiceLinks == nil || *pod.EnableServiceLinks {
			t.Error("enableServiceLinks is not false: Service variables would land among platbot's PLATBOT_* settings")
		}
	})

	t.Run("resources", func(t *testing.T) {
		req, lim := c.Resources.Requests, c.Resources.Limits
		if req.Cpu().IsZero() || req.Memory().IsZero() {
			t.Errorf("requests %v: want cpu and memory", req)
		}
		if lim.Memory().IsZero() || lim.Memory().Cmp(*req.Memory()) < 0 {
			t.Errorf("memory limit %v: want one, at least the request %v", lim.Memory(), req.Memory())
		}
	})

	t.Run("graceful shutdown", func(t *testing.T) {
		var pause int64
		if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds <= 0 {
			t.Error("no preStop pause: the pod would stop accepting before the Service stops sending it requests")
		} else {
			pause = c.Lifecycle.PreStop.Sleep.Seconds
		}
		grace := pod.TerminationGracePeriodSeconds
		// After the pause: the HTTP drain, then the jobs put back, the
		// audit anchor and the Lease given up, which need time of their own.
		if grace == nil || *grace < pause+httpShutdown+15 {
			t.Errorf("terminationGracePeriodSeconds %s: want at least preStop %ds + HTTP drain %ds + 15s for jobs, anchor and Lease", deref(grace), pause, httpShutdown)
		}
	})

	t.Run("configuration from ConfigMap and Secret", func(t *testing.T) {
		file := m.configFile(t)
		var conf map[string]any
		if err := sigsyaml.Unmarshal([]byte(file), &conf); err != nil {
			t.Fatalf("platbot.yaml in the ConfigMap: %v", err)
		}
		if keys := credentialKeys(conf, ""); len(keys) > 0 {
			t.Errorf("the ConfigMap holds credentials %v: they belong in the Secret", keys)
		}
		var fromSecret bool
		for _, ef := range c.EnvFrom {
			if ef.SecretRef != nil && ef.SecretRef.Name == m.secret.Name {
				fromSecret = true
			}
		}
		if !fromSecret {
			t.Errorf("the container does not take its environment from Secret %s", m.secret.Name)
		}
		// kustomize named both after their content, so a change rolls the pods.
		for _, name := range []string{m.configMap.Name, m.secret.Name} {
			if !regexp.MustCompile(`-[a-z0-9]{10}$`).MatchString(name) {
				t.Errorf("%s has no content hash in its name", name)
			}
		}
		if db := string(m.secret.Data["PLATBOT_DB"]); !strings.HasPrefix(db, "postgres://") {
			t.Errorf("secret.env.example sets PLATBOT_DB=%q: replicas need a shared PostgreSQL database", db)
		}
		// Every variable the pod gets is one platbot reads.
		documented := readmeVariables(t)
		for name := range m.secret.Data {
			if !documented[name] {
				t.Errorf("secret.env.example sets %s, which README.md's configuration table does not name", name)
			}
		}
		for name := range env {
			if !documented[name] {
				t.Errorf("the Deployment sets %s, which README.md's configuration table does not name", name)
			}
		}
	})

	t.Run("lease RBAC", func(t *testing.T) {
		var ha haConfig
		if err := sigsyaml.Unmarshal([]byte(m.configFile(t)), &ha); err != nil {
			t.Fatal(err)
		}
		lease := ha.HA.LeaderElection
		if lease.Namespace != ns || lease.Name == "" {
			t.Fatalf("ha.leaderElection = %+v: want a Lease name, in namespace %s where the Role grants access", lease, ns)
		}
		verbs := map[string]bool{}
		for _, r := range m.role.Rules {
			if !slices.Equal(r.APIGroups, []string{"coordination.k8s.io"}) || !slices.Equal(r.Resources, []string{"leases"}) || len(r.NonResourceURLs) > 0 {
				t.Errorf("Role rule %+v: want only coordination.k8s.io leases", r)
			}
			for _, v := range r.Verbs {
				if v != "get" && v != "create" && v != "update" {
					t.Errorf("Role grants %s on leases: want only get, create and update", v)
				}
				// Only create cannot be limited to a name.
				if v != "create" && !slices.Equal(r.ResourceNames, []string{lease.Name}) {
					t.Errorf("Role grants %s on leases %v: want only the Lease %s", v, r.ResourceNames, lease.Name)
				}
				verbs[v] = true
			}
		}
		if !verbs["get"] || !verbs["create"] || !verbs["update"] {
			t.Errorf("Role grants %v on leases: leader election needs get, create and update", verbs)
		}
		rb := m.roleBinding
		if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != m.role.Name {
			t.Errorf("RoleBinding refers to %s %s, want Role %s", rb.RoleRef.Kind, rb.RoleRef.Name, m.role.Name)
		}
		checkSubjects(t, rb.Subjects, m.serviceAccount)
		if pod.ServiceAccountName != m.serviceAccount.Name || (pod.AutomountServiceAccountToken != nil && !*pod.AutomountServiceAccountToken) {
			t.Errorf("the pods run as %q (token mounted: %s), want ServiceAccount %s with its token", pod.ServiceAccountName, deref(pod.AutomountServiceAccountToken), m.serviceAccount.Name)
		}
	})

	t.Run("access RBAC is optional", func(t *testing.T) {
		if len(m.clusterRoles) > 0 || m.clusterBinding != nil {
			t.Errorf("the default kustomization grants cluster-wide roles %v: /plat access RBAC belongs in the optional component", keys(m.clusterRoles))
		}
	})
}

// TestAccessComponent: with the access component, platbot's ServiceAccount
// holds exactly the issuer role of examples/access/rbac.yaml, and the level
// ClusterRoles are the example's.
func TestAccessComponent(t *testing.T) {
	m := decode(t, render(t, "/overlay", map[string]string{
		"overlay/kustomization.yaml": "resources: [../deploy]\ncomponents: [../deploy/access]\n",
	}))
	example := exampleRBAC(t)
	if len(m.clusterRoles) != len(example.clusterRoles) {
		t.Errorf("component ClusterRoles %v, example %v", keys(m.clusterRoles), keys(example.clusterRoles))
	}
	for name, want := range example.clusterRoles {
		got, ok := m.clusterRoles[name]
		if !ok {
			t.Errorf("the component has no ClusterRole %s", name)
			continue
		}
		if !equalYAML(t, got.Rules, want.Rules) {
			t.Errorf("ClusterRole %s differs from examples/access/rbac.yaml", name)
		}
	}
	if m.clusterBinding == nil || example.clusterBinding == nil {
		t.Fatal("want the issuer's ClusterRoleBinding in the component and the example")
	}
	if m.clusterBinding.RoleRef != example.clusterBinding.RoleRef {
		t.Errorf("ClusterRoleBinding binds %+v, the example %+v", m.clusterBinding.RoleRef, example.clusterBinding.RoleRef)
	}
	checkSubjects(t, m.clusterBinding.Subjects, m.serviceAccount)
}

// TestNamespaceOverlay: an overlay that moves platbot to another namespace
// moves the Namespace object and the bindings' subjects with it.
func TestNamespaceOverlay(t *testing.T) {
	m := decode(t, render(t, "/overlay", map[string]string{
		"overlay/kustomization.yaml": "namespace: bots\nresources: [../deploy]\ncomponents: [../deploy/access]\n",
	}))
	if m.serviceAccount.Namespace != "bots" || m.namespace.Name != "bots" {
		t.Fatalf("ServiceAccount in %q, Namespace object %q: want both bots", m.serviceAccount.Namespace, m.namespace.Name)
	}
	checkSubjects(t, m.roleBinding.Subjects, m.serviceAccount)
	checkSubjects(t, m.clusterBinding.Subjects, m.serviceAccount)
}

// TestServerSideDryRun applies every object, the optional access RBAC
// included, with a server-side dry run against a real kube-apiserver, as
// `kubectl apply --server-side --dry-run=server -k` would: the API server
// validates each one (unknown fields refused) and runs its admission. The
// namespace is created for real first, since nothing can be applied into a
// namespace that does not exist. A pod made from the Deployment's template
// is then admitted by Pod Security "restricted" in that namespace.
func TestServerSideDryRun(t *testing.T) {
	testenv.SkipOrFail(t, realKubeErr)
	ctx := context.Background()
	docs := render(t, "/overlay", map[string]string{
		"overlay/kustomization.yaml": "resources: [../deploy]\ncomponents: [../deploy/access]\n",
	})
	m := decode(t, docs)
	admin, err := kubernetes.NewForConfig(realKube.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Namespaces().Create(ctx, m.namespace, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", m.namespace.Name, err)
	}
	dyn, err := dynamic.NewForConfig(realKube.Config)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(realKube.Config)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	for _, doc := range docs {
		var u unstructured.Unstructured
		if err := sigsyaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatal(err)
		}
		gvk := u.GroupVersionKind()
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		var ri dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = dyn.Resource(mapping.Resource).Namespace(u.GetNamespace())
		}
		body, err := sigsyaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatal(err)
		}
		force := true
		got, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
			FieldManager:    "platbot-deploy-test",
			Force:           &force,
			DryRun:          []string{metav1.DryRunAll},
			FieldValidation: metav1.FieldValidationStrict,
		})
		if err != nil {
			t.Errorf("server-side dry-run apply of %s %s: %v", gvk.Kind, u.GetName(), err)
			continue
		}
		if got.GetName() != u.GetName() {
			t.Errorf("%s %s: the API server answered %s", gvk.Kind, u.GetName(), got.GetName())
		}
	}
	// The dry run created nothing.
	if _, err := admin.AppsV1().Deployments(m.namespace.Name).Get(ctx, m.deployment.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after the dry run, getting the Deployment answered %v, want not found", err)
	}

	pod := func(spec corev1.PodSpec) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "platbot-", Namespace: m.namespace.Name, Labels: m.deployment.Spec.Template.Labels},
			Spec:       spec,
		}
	}
	dryRun := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict}
	if _, err := admin.CoreV1().Pods(m.namespace.Name).Create(ctx, pod(m.deployment.Spec.Template.Spec), dryRun); err != nil {
		t.Errorf("a pod of the Deployment's template is refused in namespace %s: %v", m.namespace.Name, err)
	}
	// The same pod without its securityContext is refused: Pod Security
	// admission is on, so the acceptance above means something.
	bare := *m.deployment.Spec.Template.Spec.DeepCopy()
	bare.SecurityContext = nil
	for i := range bare.Containers {
		bare.Containers[i].SecurityContext = nil
	}
	if _, err := admin.CoreV1().Pods(m.namespace.Name).Create(ctx, pod(bare), dryRun); !apierrors.IsForbidden(err) {
		t.Errorf("a pod without securityContext answered %v, want Forbidden by Pod Security restricted", err)
	}
}

// exampleRBAC decodes examples/access/rbac.yaml.
func exampleRBAC(t *testing.T) *manifests {
	t.Helper()
	data, err := os.ReadFile("../examples/access/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := &manifests{clusterRoles: map[string]*rbacv1.ClusterRole{}}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		obj, _, err := strictDecoder.Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("examples/access/rbac.yaml: %v", err)
		}
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			m.clusterRoles[o.Name] = o
		case *rbacv1.ClusterRoleBinding:
			m.clusterBinding = o
		default:
			t.Fatalf("examples/access/rbac.yaml: unexpected %T", obj)
		}
	}
	return m
}

// checkSubjects wants exactly the ServiceAccount sa, in its namespace.
func checkSubjects(t *testing.T, subjects []rbacv1.Subject, sa *corev1.ServiceAccount) {
	t.Helper()
	want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: sa.Namespace}}
	if !slices.Equal(subjects, want) {
		t.Errorf("binding subjects %+v, want %+v", subjects, want)
	}
}

// onEmptyDir reports whether dir is at or under a mount of an emptyDir
// volume of c.
func onEmptyDir(c *corev1.Container, vols []corev1.Volume, dir string) bool {
	for _, vm := range c.VolumeMounts {
		if vm.ReadOnly || (dir != vm.MountPath && !strings.HasPrefix(dir, strings.TrimSuffix(vm.MountPath, "/")+"/")) {
			continue
		}
		for _, v := range vols {
			if v.Name == vm.Name && v.EmptyDir != nil {
				return true
			}
		}
	}
	return false
}

// credentialKeys returns the dotted keys of conf that hold credentials
// (tokens, secrets, keys, the database URL) with a non-empty value.
func credentialKeys(conf map[string]any, prefix string) []string {
	var out []string
	for k, v := range conf {
		key := strings.TrimPrefix(prefix+"."+k, ".")
		switch v := v.(type) {
		case map[string]any:
			out = append(out, credentialKeys(v, key)...)
		case string:
			// Keys are camelCase (hmacKey); the old snake_case spelling
			// (hmac_key) is still read, so both count.
			lk := strings.ReplaceAll(strings.ToLower(k), "_", "")
			if v != "" && (k == "db" || strings.Contains(lk, "token") || strings.Contains(lk, "secret") || strings.HasSuffix(lk, "hmackey")) {
				out = append(out, key)
			}
		}
	}
	return out
}

// readmeVariables returns the environment variables named in the first
// column of README.md's configuration table.
func readmeVariables(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md has no Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	vars := map[string]bool{}
	varRe := regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range varRe.FindAllStringSubmatch(cells[1], -1) {
			vars[m[1]] = true
		}
	}
	if len(vars) == 0 {
		t.Fatal("README.md's Configuration table names no variables")
	}
	return vars
}

func equalYAML(t *testing.T, a, b any) bool {
	t.Helper()
	ya, err := sigsyaml.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	yb, err := sigsyaml.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ya) == string(yb)
}

func isTrue(b *bool) bool { return b != nil && *b }

// deref formats what p points at, or "unset".
func deref[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
