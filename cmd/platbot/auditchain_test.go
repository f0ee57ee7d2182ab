package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/platbot/platbot/integrations/testenv"
)

// seededLog runs migrate and a shell session, which writes audit rows and,
// when the shell closes, an anchor of the head.
func seededLog(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	e := testEnv(t, extra)
	if code, _, errOut := runBot(t, e, "", "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	if code, _, errOut := runBot(t, e, "/plat ping\n/plat help\n/plat ping\n", "shell", "--as", "U0PAYBOB"); code != 0 {
		t.Fatalf("shell: %d %s", code, errOut)
	}
	code, out, errOut := runBot(t, e, "", "audit", "verify")
	if code != 0 || !strings.Contains(out, "audit log OK") || !strings.Contains(out, "keyed with ") || !strings.Contains(out, "anchors; the newest is of seq") {
		t.Fatalf("verify before tampering: %d %q %q", code, out, errOut)
	}
	return e
}

// openRaw opens the database as someone with write access to the file
// does, with the append-only triggers dropped.
func openRaw(t *testing.T, e map[string]string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", e["PLATBOT_DB"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, tr := range []string{"audit_no_update", "audit_no_delete"} {
		if _, err := db.Exec(`DROP TRIGGER IF EXISTS ` + tr); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// unkeyedRewrite recomputes the audit chain from seq from on the way the
// unkeyed chain was computed (SHA-256 over the fields, docs/audit.md) and
// updates audit_head: a consistent rewrite by someone without the key.
func unkeyedRewrite(t *testing.T, db *sql.DB, from int64) {
	t.Helper()
	rows, err := db.Query(`SELECT seq, time, actor_id, actor_name, action, target, decision, outcome, details, hash FROM audit WHERE seq >= ? ORDER BY seq`, from-1)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		seq    int64
		fields []string
		hash   string
	}
	var all []row
	for rows.Next() {
		var r row
		f := make([]string, 8)
		if err := rows.Scan(&r.seq, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &r.hash); err != nil {
			t.Fatal(err)
		}
		tm, err := time.Parse("2006-01-02T15:04:05.000000000Z", f[0])
		if err != nil {
			t.Fatal(err)
		}
		f[0] = tm.UTC().Format(time.RFC3339Nano)
		r.fields = f
		all = append(all, r)
	}
	rows.Close()
	prev := ""
	for _, r := range all {
		if r.seq < from {
			prev = r.hash
			continue
		}
		h := sha256.New()
		h.Write([]byte("platbot-audit-v1\n"))
		for _, f := range append(append([]string{strconv.FormatInt(r.seq, 10)}, r.fields...), prev) {
			fmt.Fprintf(h, "%d:%s\n", len(f), f)
		}
		sum := hex.EncodeToString(h.Sum(nil))
		if _, err := db.Exec(`UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?`, prev, sum, r.seq); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE audit_head SET seq = ?, hash = ?`, r.seq, sum); err != nil {
			t.Fatal(err)
		}
		prev = sum
	}
}

func TestAuditVerifyCatchesAConsistentRewrite(t *testing.T) {
	e := seededLog(t, nil)
	db := openRaw(t, e)
	if _, err := db.Exec(`UPDATE audit SET outcome = 'ok-forged' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	unkeyedRewrite(t, db, 2)
	db.Close()
	code, out, errOut := runBot(t, e, "", "audit", "verify")
	if code != 1 || !strings.Contains(out, "BROKEN at seq 2 (edited)") || !strings.Contains(out, "chain key") {
		t.Fatalf("consistent rewrite not caught: %d %q %q", code, out, errOut)
	}
}

func TestAuditVerifyCatchesTruncationBelowAnAnchor(t *testing.T) {
	e := seededLog(t, nil)
	db := openRaw(t, e)
	var last int64
	if err := db.QueryRow(`SELECT max(seq) FROM audit`).Scan(&last); err != nil || last < 3 {
		t.Fatalf("max seq %d, %v", last, err)
	}
	if _, err := db.Exec(`DELETE FROM audit WHERE seq = ?`, last); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_head SET seq = seq - 1, hash = (SELECT hash FROM audit WHERE seq = ?)`, last-1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errOut := runBot(t, e, "", "audit", "verify")
	want := fmt.Sprintf("BROKEN at seq %d (deleted)", last)
	if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "was anchored at") {
		t.Fatalf("truncation not caught: %d %q %q; want %q", code, out, errOut, want)
	}
	// Without the anchors only the chain is checked, and says so.
	code, out, errOut = runBot(t, e, "", "audit", "verify", "--anchors", filepath.Join(t.TempDir(), "none.jsonl"))
	if code != 0 || !strings.Contains(errOut, "no anchors at") {
		t.Fatalf("verify without anchors: %d %q %q", code, out, errOut)
	}
}

func TestAuditChainKeyFileMustBePrivate(t *testing.T) {
	e := seededLog(t, nil)
	key := filepath.Join(e["PLATBOT_DATA_DIR"], "audit-chain.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"audit", "verify"}, {"shell"}} {
		code, _, errOut := runBot(t, e, "", args...)
		if code != 1 || !strings.Contains(errOut, "chmod 600 "+key) {
			t.Errorf("%v with a 0644 key file: %d %q", args, code, errOut)
		}
	}
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runBot(t, e, "", "audit", "verify")
	if code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("verify without the key file: %d %q", code, errOut)
	}
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Errorf("verify created a key file: %v", err)
	}
}

// TestAuditChainKeyInVault keys the chain with a real Vault's transit key:
// no key file is written, and a rewrite without Vault is caught.
func TestAuditChainKeyInVault(t *testing.T) {
	v, err := testenv.StartVault(context.Background())
	if err != nil {
		testenv.SkipOrFail(t, err)
		return
	}
	defer v.Stop()
	e := seededLog(t, map[string]string{"VAULT_ADDR": v.Addr, "VAULT_TOKEN": v.RootToken, "PLATBOT_AUDIT_VAULT_TRANSIT_KEY": "platbot-audit"})
	code, out, errOut := runBot(t, e, "", "audit", "verify")
	if code != 0 || !strings.Contains(out, "keyed with vault-transit:transit/platbot-audit@v1") {
		t.Fatalf("verify: %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(e["PLATBOT_DATA_DIR"], "audit-chain.key")); !os.IsNotExist(err) {
		t.Errorf("a chain key file was written although the key is in Vault: %v", err)
	}
	db := openRaw(t, e)
	if _, err := db.Exec(`UPDATE audit SET outcome = 'ok-forged' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	unkeyedRewrite(t, db, 2)
	db.Close()
	if code, out, errOut := runBot(t, e, "", "audit", "verify"); code != 1 || !strings.Contains(out, "BROKEN at seq 2 (edited)") {
		t.Fatalf("consistent rewrite not caught: %d %q %q", code, out, errOut)
	}
}

// TestServePostsAnchorsToTheAuditChannel: serve anchors the head to the
// audit channel as well as the anchor file, and the posted anchor verifies
// the log.
func TestServePostsAnchorsToTheAuditChannel(t *testing.T) {
	b := startServeEnv(t, "audit:\n  anchor_every: 1s\n", map[string]string{"PLATBOT_AUDIT_ANCHOR_CHANNEL": "C0AUDIT"})
	if r := b.reply(b.command("U0PAYBOB", "ping")); r == "" {
		t.Fatal("no reply to ping")
	}
	var posted string
	deadline := time.Now().Add(20 * time.Second)
	for posted == "" && time.Now().Before(deadline) {
		for _, c := range b.slack.Calls("chat.postMessage") {
			if c.Channel() == "C0AUDIT" && !c.Failed() {
				posted = c.Text()
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, line, ok := strings.Cut(strings.Trim(posted, "`"), "platbot audit anchor ")
	if !ok {
		t.Fatalf("no anchor posted to the audit channel: %q", posted)
	}
	copyFile := filepath.Join(t.TempDir(), "from-channel.jsonl")
	if err := os.WriteFile(copyFile, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBot(t, b.env, "", "audit", "verify", "--anchors", copyFile)
	if code != 0 || !strings.Contains(out, "agrees with 1 anchors") {
		t.Fatalf("verify against the channel's anchor: %d %q %q", code, out, errOut)
	}
	file, err := os.ReadFile(filepath.Join(b.env["PLATBOT_DATA_DIR"], "audit-anchors.jsonl"))
	if err != nil || !strings.Contains(string(file), line) {
		t.Errorf("the anchor file lacks the posted anchor %s: %q, %v", line, file, err)
	}
}
