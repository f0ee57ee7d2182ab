package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/platbot/platbot/bot/slack/slackfake"
	"github.com/platbot/platbot/integrations/testenv"
)

// runMainEnv makes the test binary run platbot's main instead of the tests
// (see TestMain): the multi-process tests start replicas that way, so the
// replicas are the code under test without a separate build.
const runMainEnv = "PLATBOT_TEST_RUN_MAIN"

// replica is one `platbot serve` process of a multi-process test.
type replica struct {
	name   string
	url    string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startReplica starts `platbot serve` with env and waits until /readyz
// answers 200.
func startReplica(t *testing.T, name string, env map[string]string) *replica {
	t.Helper()
	port := freePort(t)
	dir := t.TempDir()
	r := &replica{name: name, url: fmt.Sprintf("http://127.0.0.1:%d", port), log: filepath.Join(dir, "stderr.log"), exited: make(chan struct{})}
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, runMainEnv + "=1",
		"PLATBOT_ADDR=" + fmt.Sprintf("127.0.0.1:%d", port), "PLATBOT_IDENTITY=" + name,
		"PLATBOT_DATA_DIR=" + filepath.Join(dir, "state")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logf, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.cmd = cmd
	go func() { cmd.Wait(); logf.Close(); close(r.exited) }()
	t.Cleanup(func() {
		r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(30 * time.Second):
			r.cmd.Process.Kill()
			<-r.exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(r.log)
			t.Logf("--- %s log (last 6000 bytes):\n%s", r.name, tail(string(b), 6000))
		}
	})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case <-r.exited:
			b, _ := os.ReadFile(r.log)
			t.Fatalf("%s exited before it was ready:\n%s", name, b)
		default:
		}
		if resp, err := http.Get(r.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became ready", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

var leaderMetric = regexp.MustCompile(`(?m)^platbot_leader 1$`)

// leading reports whether the replica's /metrics says it leads; false for
// a replica that is gone.
func (r *replica) leading() bool {
	select {
	case <-r.exited:
		return false
	default:
	}
	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return leaderMetric.Match(b)
}

// kill ends the replica with SIGKILL, as a node failure or OOM kill does.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-r.exited
}

// leaders are the replicas whose /metrics say they lead.
func leaders(rs []*replica) []*replica {
	var out []*replica
	for _, r := range rs {
		if r.leading() {
			out = append(out, r)
		}
	}
	return out
}

// command posts a signed slash command to the replica as Slack does, with
// extra headers (a retry's X-Slack-Retry-Num), and returns the body it
// signed so that a test can deliver the same request again.
func (r *replica) command(t *testing.T, body []byte, headers map[string]string) {
	t.Helper()
	req := slackfake.SignedRequest(testSigningSecret, r.url+"/slack/commands", body, time.Now())
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s answered the command with %d", r.name, resp.StatusCode)
	}
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting until %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestThreeReplicas runs three `platbot serve` processes on one PostgreSQL
// database and one kube-apiserver holding the leader Lease, the way
// deploy/ runs them:
//   - exactly one leads, and /plat status on another replica names it;
//   - a command Slack retries to another replica is answered once;
//   - the leader is killed with SIGKILL in the middle of a weekly digest
//     (one team's post in flight): a new leader within 15 s, and every team
//     channel gets exactly one digest.
func TestThreeReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL, a kube-apiserver and three platbot processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	_, dsn := postgresDB(ctx, t)
	k, err := testenv.StartKube(ctx)
	testenv.SkipOrFail(t, err)
	t.Cleanup(func() { k.Stop() })
	for _, ns := range []string{"platbot", "payments"} {
		if _, err := kubernetes.NewForConfigOrDie(k.Config).CoreV1().Namespaces().Create(ctx,
			&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	// The Slack fake holds the first digest post to #team-payments until
	// the poster dies, so the kill lands with that post in flight.
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	held := make(chan struct{})
	var holdOnce sync.Once
	fake.Hold = func(ctx context.Context, c slackfake.Call) bool {
		if c.Method != "chat.postMessage" || c.Channel() != "#team-payments" || !strings.Contains(c.Text(), "Scorecard digest — ") {
			return true
		}
		first := false
		holdOnce.Do(func() { first = true })
		if !first {
			return true
		}
		close(held)
		<-ctx.Done()
		return false
	}

	// Later the fake also holds the first progress update of a golden-path
	// run, so that its replica dies with the run under way.
	var holdRun atomic.Bool
	runHeld := make(chan struct{})
	var runOnce sync.Once
	digestHold := fake.Hold
	fake.Hold = func(ctx context.Context, c slackfake.Call) bool {
		if holdRun.Load() && c.Method == "chat.update" && strings.Contains(c.Param("blocks")+c.Text(), "orders-db") {
			first := false
			runOnce.Do(func() { first = true })
			if first {
				close(runHeld)
				<-ctx.Done()
				return false
			}
		}
		return digestHold(ctx, c)
	}

	shared := t.TempDir()
	cfgPath := filepath.Join(shared, "platbot.yaml")
	cfgYAML := fmt.Sprintf(`ha:
  leaderElection:
    namespace: platbot
    name: platbot-leader
    kubeconfig: %s
scorecard:
  digest:
    schedule: "* * * * *"
`, k.Kubeconfig) + accessConfig(k.Kubeconfig)
	if err := os.WriteFile(cfgPath, []byte(cfgYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"PLATBOT_DB": dsn, "PLATBOT_CONFIG": cfgPath, "PLATBOT_DEMO": "1",
		"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": testSigningSecret, "SLACK_API_URL": fake.APIURL(),
		"PLATBOT_AUDIT_KEY":            hex.EncodeToString([]byte("ha-test-audit-key-0123456789abcd")),
		"PLATBOT_SEAL_KEY":             hex.EncodeToString([]byte("ha-test-seal-key-0123456789abcde")),
		"PLATBOT_AUDIT_CHAIN_KEY_FILE": filepath.Join(shared, "audit-chain.key"),
		"PLATBOT_AUDIT_ANCHOR_FILE":    filepath.Join(shared, "anchors.jsonl"),
		"PLATBOT_GITOPS_REPO":          filepath.Join(shared, "gitops"),
	}
	// A replica whose identity may not use the Lease does not start: it
	// says what to grant. (The test's own identity is an admin; this one
	// is the ServiceAccount deploy/ creates, before its Role exists.)
	noRBAC := filepath.Join(shared, "no-rbac.kubeconfig")
	kc, err := clientcmd.LoadFromFile(k.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for name, ai := range kc.AuthInfos {
		sa := *ai
		sa.Impersonate = "system:serviceaccount:platbot:platbot"
		kc.AuthInfos[name+"-as-sa"] = &sa
		kc.Contexts["as-sa"] = &clientcmdapi.Context{Cluster: kc.Contexts[kc.CurrentContext].Cluster, AuthInfo: name + "-as-sa"}
	}
	if err := clientcmd.WriteToFile(*kc, noRBAC); err != nil {
		t.Fatal(err)
	}
	noRBACConfig := filepath.Join(shared, "no-rbac.yaml")
	if err := os.WriteFile(noRBACConfig, []byte(strings.Replace(strings.Replace(cfgYAML, k.Kubeconfig, noRBAC, 1), "    kubeconfig:", "    kubeContext: as-sa\n    kubeconfig:", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	refusedEnv := testEnv(t, nil)
	for key, v := range env {
		refusedEnv[key] = v
	}
	refusedEnv["PLATBOT_CONFIG"] = noRBACConfig
	code, _, errOut := runBot(t, refusedEnv, "", "serve")
	if code == 0 || !strings.Contains(errOut, "may not get, update, create Kubernetes Lease platbot/platbot-leader") || !strings.Contains(errOut, "deploy/lease-rbac.yaml") {
		t.Fatalf("serve without the Lease's RBAC: exit %d, stderr:\n%s", code, errOut)
	}

	// The first replica creates the shared audit chain key; the others
	// start with it.
	rs := []*replica{startReplica(t, "replica-a", env)}
	for _, name := range []string{"replica-b", "replica-c"} {
		rs = append(rs, startReplica(t, name, env))
	}
	var leader *replica
	waitUntil(t, 30*time.Second, "one replica leads", func() bool {
		ls := leaders(rs)
		if len(ls) > 1 {
			t.Fatalf("%d replicas lead at once", len(ls))
		}
		if len(ls) == 1 {
			leader = ls[0]
		}
		return leader != nil
	})
	other := rs[0]
	if other == leader {
		other = rs[1]
	}

	// /plat status on a replica that does not lead names the leader.
	n := 0
	send := func(r *replica, user, text, trigger string, headers map[string]string) string {
		n++
		id := fmt.Sprintf("ha-%d", n)
		body := []byte(url.Values{
			"command": {"/plat"}, "text": {text}, "user_id": {user}, "user_name": {user},
			"channel_id": {"C0TEST"}, "team_id": {"T0TEST"},
			"response_url": {fake.ResponseURL(id)}, "trigger_id": {trigger},
		}.Encode())
		r.command(t, body, headers)
		return id
	}
	replies := func(id string) []slackfake.Call {
		var out []slackfake.Call
		for _, c := range fake.Calls() {
			if strings.HasSuffix(c.Path, "/response/"+id) {
				out = append(out, c)
			}
		}
		return out
	}
	statusID := send(other, "U0PLATPRIYA", "status", "trigger.status", nil)
	waitUntil(t, 30*time.Second, "the status reply", func() bool { return len(replies(statusID)) > 0 })
	// The command is a job in the shared store, which any replica's worker
	// may take: the answer names the leader and the replica that answered
	// (the leader itself, or another).
	if txt := replies(statusID)[0].Text(); !strings.Contains(txt, "*Leader:* this replica `"+leader.name+"`") &&
		(!strings.Contains(txt, "*Leader:* `"+leader.name+"`") || !answeredBy(txt, rs)) {
		t.Errorf("/plat status sent to %s does not name the leader %s and the answering replica:\n%s", other.name, leader.name, txt)
	}

	// Slack retries a command to another replica: one job, one answer.
	body := []byte(url.Values{
		"command": {"/plat"}, "text": {"ping"}, "user_id": {"U0PLATPRIYA"}, "user_name": {"priya"},
		"channel_id": {"C0TEST"}, "team_id": {"T0TEST"},
		"response_url": {fake.ResponseURL("retried")}, "trigger_id": {"trigger.retried"},
	}.Encode())
	rs[0].command(t, body, nil)
	rs[1].command(t, body, map[string]string{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
	rs[2].command(t, body, map[string]string{"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})
	var jobs, done int
	if err := db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE state = 'done') FROM jobs WHERE dedupe_key LIKE '%trigger.retried%'`).Scan(&jobs, &done); err != nil {
		t.Fatal(err)
	}
	if jobs != 1 {
		t.Fatalf("three deliveries of one command made %d jobs", jobs)
	}
	waitUntil(t, 30*time.Second, "the retried command is answered", func() bool {
		var state string
		db.QueryRowContext(ctx, `SELECT state FROM jobs WHERE dedupe_key LIKE '%trigger.retried%'`).Scan(&state)
		return state == "done" && len(replies("retried")) > 0
	})
	if got := len(replies("retried")); got != 1 {
		t.Errorf("a command delivered three times was answered %d times", got)
	}

	// A prod-access request approved by two clicks landing on two replicas
	// at once has one outcome: one approval, one credential.
	opens := len(fake.Calls("views.open"))
	send(rs[0], "U0PAYALICE", "access payments-service prod-us", "trigger.access", nil)
	submitModal(t, fake, rs[1], opens, "U0PAYALICE", map[string][]string{
		"service": {"payments-service"}, "environment": {"prod-us"}, "level": {"view"},
		"reason": {"Investigate stuck refunds in INC-4711 (read logs and pods)"}, "duration": {"1h"},
	})
	var requestID string
	waitUntil(t, 30*time.Second, "the access request's card", func() bool {
		requestID = buttonValue(fake, "#prod-approvals", "access:approve")
		return requestID != ""
	})
	var wg sync.WaitGroup
	for i, r := range []*replica{rs[0], rs[2]} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			click(t, fake, r, "U0PAYBOB", "access:approve", requestID, "#prod-approvals", i)
		}()
	}
	wg.Wait()
	credentials := func() int {
		n := 0
		for _, c := range fake.Calls(slackfake.MethodUpload) {
			if strings.Contains(string(c.File), "current-context") {
				n++
			}
		}
		return n
	}
	waitUntil(t, 30*time.Second, "the credential is issued", func() bool {
		var pending int
		db.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE kind LIKE 'bot.%' AND state IN ('queued', 'running')`).Scan(&pending)
		return credentials() > 0 && pending == 0
	})
	if n := credentials(); n != 1 {
		t.Errorf("two approving clicks on two replicas issued %d credentials, want 1", n)
	}
	var approvals int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE action = 'access.review'`).Scan(&approvals); err != nil {
		t.Fatal(err)
	}
	if approvals != 1 {
		t.Errorf("audit has %d approvals of one request, want 1", approvals)
	}

	// The weekly digest: the cron entry fires at the next minute; kill the
	// leader, and the replica running the digest, while a post is in flight.
	select {
	case <-held:
	case <-time.After(90 * time.Second):
		t.Fatalf("no digest was posted within 90 s of the minute; jobs:\n%s\nposts:\n%s", jobTable(ctx, db), postList(fake))
	}
	var owner string
	if err := db.QueryRowContext(ctx, `SELECT lease_owner FROM jobs WHERE kind = 'scorecard.digest.default' AND state = 'running'`).Scan(&owner); err != nil {
		t.Fatalf("the digest job is not running: %v", err)
	}
	runner := replicaOf(t, rs, owner)
	leader = leaders(rs)[0]
	killed := map[*replica]bool{leader: true, runner: true}
	killedAt := time.Now()
	for r := range killed {
		r.kill(t)
	}
	var survivors []*replica
	for _, r := range rs {
		if !killed[r] {
			survivors = append(survivors, r)
		}
	}
	var next *replica
	waitUntil(t, 15*time.Second, "a new leader within 15 s of the kill", func() bool {
		if ls := leaders(survivors); len(ls) == 1 {
			next = ls[0]
		}
		return next != nil
	})
	what := leader.name + " (the leader, running the digest)"
	if runner != leader {
		what = leader.name + " (the leader) and " + runner.name + " (running the digest)"
	}
	t.Logf("killed %s; %s leads %s later", what, next.name, time.Since(killedAt).Round(100*time.Millisecond))

	// Every team channel gets exactly one digest, the interrupted one too.
	teams := []string{"#team-payments", "#team-checkout", "#team-reports", "#platform-help"}
	digests := func() map[string]int {
		got := map[string]int{}
		for _, c := range fake.Succeeded("chat.postMessage") {
			if strings.Contains(c.Text(), "Scorecard digest — ") && !strings.Contains(c.Text(), "organisation") {
				got[c.Channel()]++
			}
		}
		return got
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var state string
		db.QueryRowContext(ctx, `SELECT state FROM jobs WHERE kind = 'scorecard.digest.default' ORDER BY id LIMIT 1`).Scan(&state)
		got, all := digests(), true
		for _, ch := range teams {
			all = all && got[ch] > 0
		}
		if all && state == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every team's digest was posted within 2 minutes of the kill; jobs:\n%s\nposts:\n%s", jobTable(ctx, db), postList(fake))
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := digests()
	var chans []string
	for ch := range got {
		chans = append(chans, ch)
	}
	sort.Strings(chans)
	for _, ch := range chans {
		if got[ch] != 1 {
			t.Errorf("%s got %d digests, want exactly 1", ch, got[ch])
		}
	}
	if len(chans) != len(teams) {
		t.Errorf("digests went to %v, want %v", chans, teams)
	}

	// Replacements for the killed replicas (a node drain brings new pods).
	rs = survivors
	for _, name := range []string{"replica-d", "replica-e"}[:3-len(survivors)] {
		rs = append(rs, startReplica(t, name, env))
	}

	// A golden-path run whose replica is killed in the middle is resumed by
	// another replica and opens one pull request.
	holdRun.Store(true)
	approveID := send(rs[0], "U0PLATPRIYA", "template approve new-db", "trigger.approve", nil)
	waitUntil(t, 30*time.Second, "the template approval", func() bool {
		r := replies(approveID)
		return len(r) > 0 && strings.Contains(r[0].Text()+string(r[0].Raw), "Approved template")
	})
	opens = len(fake.Calls("views.open"))
	send(rs[1], "U0PAYALICE", "new-db", "trigger.new-db", nil)
	submitModal(t, fake, rs[2], opens, "U0PAYALICE", map[string][]string{
		"name": {"orders-db"}, "owner": {"group:default/payments"}, "size": {"medium"}, "storageGB": {"50"}, "environments": {"dev", "prod"},
	})
	select {
	case <-runHeld:
	case <-time.After(90 * time.Second):
		t.Fatalf("the run never updated its progress; jobs:\n%s", jobTable(ctx, db))
	}
	if err := db.QueryRowContext(ctx, `SELECT lease_owner FROM jobs WHERE kind = 'paths.step' AND state = 'running'`).Scan(&owner); err != nil {
		t.Fatalf("no run step is running: %v\n%s", err, jobTable(ctx, db))
	}
	stepRunner := replicaOf(t, rs, owner)
	stepRunner.kill(t)
	t.Logf("killed %s in the middle of the golden-path run", stepRunner.name)
	deadline = time.Now().Add(2 * time.Minute)
	for !strings.Contains(progressText(fake), "ready for review") {
		if time.Now().After(deadline) {
			t.Fatalf("the interrupted run was not finished by another replica; jobs:\n%s", jobTable(ctx, db))
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, err := exec.Command("git", "-C", env["PLATBOT_GITOPS_REPO"], "branch", "--list", "plat/*").Output()
	if err != nil {
		t.Fatal(err)
	}
	if branches := strings.Fields(string(out)); len(branches) != 1 {
		t.Fatalf("branches after the resumed run: %q, want exactly one pull request", out)
	}

	// SIGTERM (a rolling deploy): the leader gives the Lease up as it
	// exits, rather than leaving it to lapse.
	var alive []*replica
	for _, r := range rs {
		if r != stepRunner {
			alive = append(alive, r)
		}
	}
	waitUntil(t, 15*time.Second, "a leader among the replicas left", func() bool { return len(leaders(alive)) == 1 })
	last := leaders(alive)[0]
	last.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-last.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not exit within 30 s of SIGTERM", last.name)
	}
	if code := last.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("%s exited %d after SIGTERM, want 0", last.name, code)
	}
	lease, err := kubernetes.NewForConfigOrDie(k.Config).CoordinationV1().Leases("platbot").Get(ctx, "platbot-leader", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if h := lease.Spec.HolderIdentity; h != nil && *h == last.name {
		t.Errorf("%s exited on SIGTERM still holding the Lease", last.name)
	}
}

// progressText is the text of every progress update of the orders-db run.
func progressText(fake *slackfake.Server) string {
	var b strings.Builder
	for _, c := range fake.Succeeded("chat.update", "chat.postMessage") {
		if txt := c.Param("blocks") + c.Text(); strings.Contains(txt, "orders-db") {
			b.WriteString(txt)
		}
	}
	return b.String()
}

// replicaOf is the replica whose process holds a job lease (its owner
// text names the pid).
func replicaOf(t *testing.T, rs []*replica, owner string) *replica {
	t.Helper()
	m := regexp.MustCompile(`\bpid=(\d+)\b`).FindStringSubmatch(owner)
	if m == nil {
		t.Fatalf("lease owner %q names no pid", owner)
	}
	pid, _ := strconv.Atoi(m[1])
	for _, r := range rs {
		if r.cmd.Process.Pid == pid {
			return r
		}
	}
	t.Fatalf("no replica has pid %d (owner %q)", pid, owner)
	return nil
}

// jobTable lists the jobs, for a failure message.
func jobTable(ctx context.Context, db *sql.DB) string {
	rows, err := db.QueryContext(ctx, `SELECT id, kind, state, attempts, coalesce(last_error, '') FROM jobs ORDER BY id`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, attempts int
		var kind, state, lastErr string
		if err := rows.Scan(&id, &kind, &state, &attempts, &lastErr); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "%d %s %s attempts=%d %s\n", id, kind, state, attempts, lastErr)
	}
	return b.String()
}

// postList lists the messages posted to the Slack fake, for a failure
// message.
func postList(fake *slackfake.Server) string {
	var b strings.Builder
	for _, c := range fake.Calls("chat.postMessage") {
		fmt.Fprintf(&b, "%s %q %s\n", c.Channel(), tail(c.Text(), 80), c.Error)
	}
	return b.String()
}

// TestHAConfigErrors: an ha section that cannot work is refused at start,
// naming the key and what to do.
func TestHAConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, db, yaml, want string }{
		{"lease on SQLite", "", "ha:\n  leaderElection: {namespace: platbot}\n", "ha.leaderElection: needs a PostgreSQL database"},
		{"bad duration", "postgres://platbot@db.example/platbot", "ha:\n  leaderElection: {namespace: platbot, leaseDuration: soon}\n", "ha.leaderElection.leaseDuration: expected a positive duration such as 15s"},
		{"unknown key", "postgres://platbot@db.example/platbot", "ha:\n  leaderElektion: {namespace: platbot}\n", "leaderElection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			extra := map[string]string{}
			if tc.db != "" {
				extra["PLATBOT_DB"] = tc.db
			}
			_, _, err := loadYAMLEnv(t, tc.yaml, extra)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// submitModal submits the modal the opens-th views.open call showed, filled
// with values, as user, to the replica r.
func submitModal(t *testing.T, fake *slackfake.Server, r *replica, opens int, user string, values map[string][]string) {
	t.Helper()
	waitUntil(t, 30*time.Second, "the modal", func() bool { return len(fake.Calls("views.open")) > opens })
	open := fake.Calls("views.open")[opens]
	var view map[string]any
	if err := json.Unmarshal([]byte(open.Param("view")), &view); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": "T0TEST"},
		"user": map[string]any{"id": user, "name": user},
		"view": map[string]any{"id": fmt.Sprintf("V0HA%d", opens), "type": "modal", "callback_id": view["callback_id"], "hash": "h1",
			"private_metadata": view["private_metadata"], "state": fillView(t, view, values)},
	})
	resp, err := http.DefaultClient.Do(slackfake.SignedRequest(testSigningSecret, r.url+"/slack/interactions", []byte(url.Values{"payload": {string(payload)}}.Encode()), time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("submission to %s: %d", r.name, resp.StatusCode)
	}
}

// buttonValue is the value of the button actionID on the last message
// posted to channel ("" when there is none).
func buttonValue(fake *slackfake.Server, channel, actionID string) string {
	value := ""
	for _, c := range fake.Succeeded("chat.postMessage") {
		if c.Channel() != channel {
			continue
		}
		var blocks []map[string]any
		json.Unmarshal([]byte(c.Param("blocks")), &blocks)
		for _, bl := range blocks {
			els, _ := bl["elements"].([]any)
			for _, el := range els {
				if m, _ := el.(map[string]any); m["action_id"] == actionID {
					value, _ = m["value"].(string)
				}
			}
		}
	}
	return value
}

// click sends a signed block_actions payload to the replica r, as Slack
// does when user presses a button; i tells clicks apart.
func click(t *testing.T, fake *slackfake.Server, r *replica, user, actionID, value, channel string, i int) {
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": user},
		"team": map[string]any{"id": "T0TEST"}, "trigger_id": fmt.Sprintf("trigger.ha-click.%d", i),
		"container":    map[string]any{"type": "message", "channel_id": channel, "message_ts": "1700000000.000100"},
		"channel":      map[string]any{"id": channel},
		"message":      map[string]any{"ts": "1700000000.000100"},
		"response_url": fake.ResponseURL(fmt.Sprintf("ha-click-%d", i)),
		"actions": []any{map[string]any{
			"action_id": actionID, "block_id": "b1", "value": value, "type": "button",
			"action_ts": fmt.Sprintf("1700000002.%06d", i),
		}},
	})
	resp, err := http.DefaultClient.Do(slackfake.SignedRequest(testSigningSecret, r.url+"/slack/interactions", []byte(url.Values{"payload": {string(payload)}}.Encode()), time.Now()))
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("click on %s: %d", r.name, resp.StatusCode)
	}
}

// TestShellRefusesTheServedDatabase: the shell works every due job of its
// database, so it refuses the PostgreSQL database Slack replicas serve
// instead of answering their users in a terminal.
func TestShellRefusesTheServedDatabase(t *testing.T) {
	e := testEnv(t, map[string]string{
		"PLATBOT_DB": "postgres://platbot@db.example/platbot", "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": testSigningSecret,
	})
	code, _, errOut := runBot(t, e, "", "shell")
	if code == 0 || !strings.Contains(errOut, "Slack replicas serve") || !strings.Contains(errOut, "a database of its own") {
		t.Fatalf("shell on the served database: exit %d, stderr %q", code, errOut)
	}
}

// TestServeOnPostgresNeedsSharedKeys: serve on PostgreSQL, where replicas
// share the database, refuses keys each replica would generate for itself,
// naming each one missing; the key values never show.
func TestServeOnPostgresNeedsSharedKeys(t *testing.T) {
	e := testEnv(t, map[string]string{
		"PLATBOT_DB": "postgres://platbot@db.example/platbot", "PLATBOT_DEMO": "1",
		"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": testSigningSecret,
	})
	code, _, errOut := runBot(t, e, "", "serve")
	for _, want := range []string{"PLATBOT_SEAL_KEY", "PLATBOT_AUDIT_KEY", "audit.vaultTransitKey", "openssl rand -hex 32"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q: %s", want, errOut)
		}
	}
	if code == 0 {
		t.Fatal("serve started")
	}
	// A malformed key is refused without showing it.
	cfg := &Config{SealKey: "not-a-key-canary-93b2"}
	_, err := loadSealer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "PLATBOT_SEAL_KEY") || strings.Contains(err.Error(), "canary") {
		t.Errorf("a malformed PLATBOT_SEAL_KEY: %v", err)
	}
	cfg.SealKey = hex.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	if _, err := loadSealer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Errorf("a well-formed PLATBOT_SEAL_KEY: %v", err)
	}
}

// answeredBy reports whether a /plat status answer names one of rs as the
// replica that answered it.
func answeredBy(txt string, rs []*replica) bool {
	for _, r := range rs {
		if strings.Contains(txt, "answered by this replica `"+r.name+"`") {
			return true
		}
	}
	return false
}
