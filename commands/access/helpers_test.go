package access

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
	"github.com/platbot/platbot/commands/policy"
	"github.com/platbot/platbot/integrations/kube"
	"github.com/platbot/platbot/store"
)

// Slack ids of the test organisation (testdata/catalog).
const (
	rita  = "U-RITA"  // requester, payments
	peter = "U-PETER" // peer, payments
	paula = "U-PAULA" // peer, payments
	maria = "U-MARIA" // manager of payments, member of search
	olga  = "U-OLGA"  // outsider, search
	adam  = "U-ADAM"  // platform admin

	payApprovals = "C-PAY-APPROVALS"
	euApprovals  = "C-APPROVALS"
	teamChannel  = "C-PAYMENTS"
	testReason   = "debug stuck payouts in INC-4211"
)

// cluster is a fake Kubernetes cluster per environment: client-go fake
// clientsets that mint JWT-shaped tokens, each recorded.
type cluster struct {
	cs     map[string]*fake.Clientset
	mu     sync.Mutex
	tokens []string
	n      atomic.Int32
}

func newCluster(envs ...string) *cluster {
	c := &cluster{cs: map[string]*fake.Clientset{}}
	for _, e := range envs {
		cs := fake.NewClientset()
		cs.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
			ca, ok := a.(k8stesting.CreateActionImpl)
			if !ok || ca.GetSubresource() != "token" {
				return false, nil, nil
			}
			if _, err := cs.Tracker().Get(schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, a.GetNamespace(), ca.Name); err != nil {
				return true, nil, err
			}
			tr := ca.GetObject().(*authenticationv1.TokenRequest).DeepCopy()
			tok := c.mint()
			tr.Status.Token = tok
			tr.Status.ExpirationTimestamp = metav1.NewTime(time.Now().Add(time.Duration(*tr.Spec.ExpirationSeconds) * time.Second))
			return true, tr, nil
		})
		c.cs[e] = cs
	}
	return c
}

// mint makes a unique canary token shaped like a service account JWT.
func (c *cluster) mint() string {
	n := c.n.Add(1)
	enc := base64.RawURLEncoding
	claims, _ := json.Marshal(map[string]any{"jti": fmt.Sprintf("jti-%d", n), "canary": fmt.Sprintf("CANARY%06dTOKEN", n)})
	tok := enc.EncodeToString([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc.EncodeToString(claims) + "." +
		enc.EncodeToString([]byte(fmt.Sprintf("signature-canary-%06d", n)))
	c.mu.Lock()
	c.tokens = append(c.tokens, tok)
	c.mu.Unlock()
	return tok
}

func (c *cluster) Tokens() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.tokens...)
}

// exists reports whether the grant's ServiceAccount exists in env.
func (c *cluster) exists(t *testing.T, env, ns, id string) bool {
	t.Helper()
	_, err := c.cs[env].CoreV1().ServiceAccounts(ns).Get(context.Background(), saName(id), metav1.GetOptions{})
	return err == nil
}

func (c *cluster) bindingRole(t *testing.T, env, ns, id string) string {
	t.Helper()
	rb, err := c.cs[env].RbacV1().RoleBindings(ns).Get(context.Background(), saName(id), metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return rb.RoleRef.Name
}

func testConfig() Config {
	return Config{
		PendingTTL:    Duration(24 * time.Hour),
		WarnBefore:    Duration(10 * time.Minute),
		BreakGlassNag: Duration(4 * time.Hour),
		Levels:        map[string]string{"view": "view", "exec": "platbot-exec", "edit": "edit"},
		Environments: []Environment{
			{Name: "prod-us", KubeContext: "prod-us", ApprovalsRequired: 1, MaxDuration: Duration(8 * time.Hour),
				Namespaces: Namespaces{Allow: []string{"payments", "gateway"}},
				Approvals:  Channels{Default: euApprovals, Teams: map[string]string{"group:default/payments": payApprovals}}},
			{Name: "prod-eu", KubeContext: "prod-eu", ApprovalsRequired: 2, MaxDuration: Duration(4 * time.Hour),
				Namespaces: Namespaces{Allow: []string{"payments", "gateway"}},
				Levels:     []string{"view", "exec"}, Approvals: Channels{Default: euApprovals}},
		},
	}
}

// harness is a platbot with the access feature, on a real store file.
type harness struct {
	t       *testing.T
	ctx     context.Context
	path    string
	clock   *bottest.Clock // shared by the store, router, issuers and feature
	st      *store.Store
	m       *bottest.Messenger
	r       *bot.Router
	a       *Access
	cat     *catalog.Catalog
	cluster *cluster
	logs    *bottest.LogBuffer
	issuers map[string]Issuer
	// realPolicy wires the shipped default policy instead of AllowAll
	// (policyCfg instead of the default, when set).
	realPolicy bool
	policyCfg  *policy.Config
}

// withDefaultPolicy makes the harness decide with the shipped default
// policy over its catalog, as cmd/platbot wires it.
func withDefaultPolicy(h *harness, _ *Config) { h.realPolicy = true }

type option func(*harness, *Config)

func newHarness(t *testing.T, opts ...option) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		ctx:     context.Background(),
		path:    filepath.Join(t.TempDir(), "platbot.db"),
		clock:   bottest.NewClock(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)),
		cluster: newCluster("prod-us", "prod-eu"),
		logs:    &bottest.LogBuffer{},
	}
	cfg := testConfig()
	for _, o := range opts {
		o(h, &cfg)
	}
	org, err := os.ReadFile("testdata/catalog/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h.cat = catalogtest.NewWith(t, catalogtest.Options{Config: catalog.Config{AdminGroups: []string{"group:default/platform"}}}, string(org)).Catalog
	if h.issuers == nil {
		h.issuers = map[string]Issuer{}
		for env, cs := range h.cluster.cs {
			h.issuers[env] = kube.NewIssuer(cs, kube.Cluster{Name: env, Server: "https://" + env + ".example:6443"},
				kube.WithClock(h.clock.Now), kube.WithLogger(h.logger()))
		}
	}
	h.start(cfg)
	return h
}

func (h *harness) logger() *slog.Logger { return h.logs.Logger() }

// start opens the store and builds a router and the feature over it, as a
// fresh platbot process would.
func (h *harness) start(cfg Config) {
	h.t.Helper()
	st, err := store.Open(h.ctx, h.path, store.WithAuditKey([]byte("test-audit-key")), store.WithClock(h.clock.Now), store.WithLogger(h.logger()))
	if err != nil {
		h.t.Fatalf("open store: %v", err)
	}
	h.st = st
	h.t.Cleanup(func() { st.Close() })
	h.m = bottest.NewMessenger()
	ropts := bot.RouterOptions{Audit: st, Queue: st, Now: h.clock.Now, Logger: h.logger(), Policy: bot.AllowAll{}}
	if h.realPolicy {
		pcfg := policy.DefaultConfig()
		if h.policyCfg != nil {
			pcfg = *h.policyCfg
		}
		eng, err := policy.New(pcfg, h.cat, st, policy.WithLogger(h.logger()), policy.WithClock(h.clock.Now))
		if err != nil {
			h.t.Fatalf("policy: %v", err)
		}
		ropts.Policy, ropts.PolicyAudits, ropts.Denial = eng, true, policy.DenialMessage
	}
	h.r = bot.NewRouter(ropts)
	h.r.SetMessenger(bot.TransportShell, h.m)
	a, err := New(cfg, Deps{Store: st, Catalog: h.cat, Issuers: h.issuers, Logger: h.logger(), Now: h.clock.Now})
	if err != nil {
		h.t.Fatalf("access.New: %v", err)
	}
	h.a = a
	h.install()
}

// install registers the feature with the harness's router, as cmd/platbot
// installs features.
func (h *harness) install() {
	h.t.Helper()
	if err := bot.NewRegistry(h.r, nil).Install(h.a); err != nil {
		h.t.Fatalf("install access: %v", err)
	}
}

// restart simulates a new platbot process over the same store file.
func (h *harness) restart() {
	h.t.Helper()
	if err := h.st.Close(); err != nil {
		h.t.Fatalf("close store: %v", err)
	}
	h.start(h.a.cfg)
	if err := h.a.Resume(h.ctx); err != nil {
		h.t.Fatalf("Resume: %v", err)
	}
}

// req builds a request from user in channel.
func (h *harness) req(user, channel string) *bot.Request {
	r := h.m.NewRequest(user, "")
	r.ID = fmt.Sprintf("req-%d", reqSeq.Add(1))
	r.Channel = channel
	return r
}

var reqSeq atomic.Int64

// run runs a command line as the user, like a slash command.
func (h *harness) run(user, line string) {
	h.t.Helper()
	r := h.req(user, "C-GENERAL")
	r.Text = line
	if err := h.r.Run(h.ctx, r); err != nil {
		h.t.Fatalf("run %q: %v", line, err)
	}
}

// submit validates and submits the form of a command line with values, as
// a modal submission; it returns the field errors, if any.
func (h *harness) submit(user, line string, v bot.Values) bot.FieldErrors {
	h.t.Helper()
	r := h.req(user, "C-GENERAL")
	cmd, args, flags := h.r.Resolve(line)
	if cmd == nil {
		h.t.Fatalf("no command for %q", line)
	}
	r.Text, r.Command, r.Args, r.Flags = line, cmd.Name, args, flags
	errs, err := h.r.ValidateForm(h.ctx, r, cmd.Name, v)
	if err != nil {
		h.t.Fatalf("validate %q: %v", line, err)
	}
	if errs != nil {
		return errs
	}
	if err := h.r.SubmitForm(h.ctx, r, cmd.Name, v); err != nil {
		h.t.Fatalf("submit %q: %v", line, err)
	}
	return nil
}

func values(service, env, level, duration, reason string) bot.Values {
	return bot.Values{
		fieldService: {service}, fieldEnv: {env}, fieldLevel: {level},
		fieldDuration: {duration}, fieldReason: {reason}, fieldTicket: {""},
	}
}

// request files a request and returns its id.
func (h *harness) request(user, service, env, level, duration string) string {
	h.t.Helper()
	if errs := h.submit(user, "access "+service+" "+env, values(service, env, level, duration, testReason)); errs != nil {
		h.t.Fatalf("request: field errors %v", errs)
	}
	return h.lastID()
}

var idRE = regexp.MustCompile("`(a[rx]-[a-z0-9]+)`")

// lastID returns the id of the request the last submission created, as
// its confirmation to the requester names it.
func (h *harness) lastID() string {
	h.t.Helper()
	sent := h.m.Ops("respond")
	for i := len(sent) - 1; i >= 0; i-- {
		if m := idRE.FindStringSubmatch(sent[i].Text()); m != nil {
			if _, err := h.st.GetRecord(h.ctx, RecordKind, m[1]); err != nil {
				h.t.Fatalf("confirmed request %s is not stored: %v", m[1], err)
			}
			return m[1]
		}
	}
	h.t.Fatalf("no request confirmed; sent:\n%s", h.dump())
	return ""
}

// click presses a button as user in channel.
func (h *harness) click(user, channel, actionID, value string) {
	h.t.Helper()
	if err := h.r.Act(h.ctx, h.req(user, channel), bot.Action{ID: actionID, Value: value}); err != nil {
		h.t.Fatalf("click %s: %v", actionID, err)
	}
}

// jobs runs every due job.
func (h *harness) jobs() int {
	h.t.Helper()
	n, err := h.r.Worker().RunDue(h.ctx)
	if err != nil {
		h.t.Fatalf("run jobs: %v", err)
	}
	return n
}

// state returns a request's stored state and data.
func (h *harness) state(id string) (string, *AccessRequest) {
	h.t.Helper()
	rec, err := h.st.GetRecord(h.ctx, RecordKind, id)
	if err != nil {
		h.t.Fatalf("get %s: %v", id, err)
	}
	r, err := decode(rec.Data)
	if err != nil {
		h.t.Fatal(err)
	}
	return rec.State, r
}

func (h *harness) wantState(id, want string) *AccessRequest {
	h.t.Helper()
	st, r := h.state(id)
	if st != want {
		h.t.Fatalf("%s is %q, want %q", id, st, want)
	}
	return r
}

// sent returns the recorded calls of op to channel ("" = any) whose text
// contains substr.
func (h *harness) sent(op, channel, substr string) []bottest.Sent {
	var out []bottest.Sent
	for _, s := range h.m.Sent() {
		if s.Op != op || (channel != "" && s.Channel != channel) {
			continue
		}
		text := s.Text()
		if s.File != nil {
			text += "\n" + s.Msg.Text
		}
		if strings.Contains(text, substr) {
			out = append(out, s)
		}
	}
	return out
}

func (h *harness) wantSent(op, channel, substr string) bottest.Sent {
	h.t.Helper()
	got := h.sent(op, channel, substr)
	if len(got) == 0 {
		h.t.Fatalf("no %s to %q containing %q; sent:\n%s", op, channel, substr, h.dump())
	}
	return got[len(got)-1]
}

func (h *harness) dump() string {
	var b strings.Builder
	for _, s := range h.m.Sent() {
		fmt.Fprintf(&b, "--- %s %s %s\n%s\n", s.Op, s.Channel, s.User, s.Text())
	}
	return b.String()
}

// card returns the latest rendering of a request's root message.
func (h *harness) card(id string) string {
	h.t.Helper()
	_, r := h.state(id)
	last := ""
	for _, s := range h.m.Sent() {
		if (s.Op == "post" && s.Msg.ThreadTS == "" && strings.Contains(s.Text(), id)) ||
			(s.Op == "update" && s.Ref == r.Card) {
			last = s.Text()
		}
	}
	return last
}

// buttons returns the buttons of a recorded message.
func buttons(s bottest.Sent) []bot.Button {
	var out []bot.Button
	for _, b := range s.Msg.Blocks {
		if a, ok := b.(bot.Actions); ok {
			out = append(out, a.Buttons...)
		}
	}
	return out
}
