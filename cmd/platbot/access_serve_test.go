package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/platbot/platbot/bot/slack/slackfake"
	"github.com/platbot/platbot/integrations/testenv"
)

// click sends a signed block_actions payload, as Slack does when a user
// presses a button on a message.
func (b *servedBot) click(user, actionID, value, channel string) {
	b.t.Helper()
	b.n++
	payload := map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": user},
		"team": map[string]any{"id": "T0TEST"}, "trigger_id": fmt.Sprintf("trigger.click.%d", b.n),
		"container":    map[string]any{"type": "message", "channel_id": channel, "message_ts": "1700000000.000100"},
		"channel":      map[string]any{"id": channel},
		"message":      map[string]any{"ts": "1700000000.000100"},
		"response_url": b.slack.ResponseURL(fmt.Sprintf("click-%d", b.n)),
		"actions": []any{map[string]any{
			"action_id": actionID, "block_id": "b1", "value": value, "type": "button",
			"action_ts": fmt.Sprintf("1700000001.%06d", b.n),
		}},
	}
	raw, _ := json.Marshal(payload)
	if resp := b.post("/slack/interactions", []byte(url.Values{"payload": {string(raw)}}.Encode()), true); resp.StatusCode != http.StatusOK {
		b.t.Fatalf("click %s: %d", actionID, resp.StatusCode)
	}
}

// TestServeProdAccessEndToEnd: a request through the modal is posted to the
// approvals channel; the requester cannot approve it; a peer does, and the
// requester receives a kubeconfig by DM, issued against a real API server.
func TestServeProdAccessEndToEnd(t *testing.T) {
	ctx := context.Background()
	kube, err := testenv.StartKube(ctx)
	if err != nil {
		testenv.SkipOrFail(t, err)
		return
	}
	defer kube.Stop()
	cs, err := kubernetes.NewForConfig(kube.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "payments"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	b := startServeWith(t, "\n"+accessConfig(kube.Kubeconfig))

	b.submitModal("U0PAYALICE", "access payments-service prod-us", "V0ACCESS", map[string][]string{
		"service": {"payments-service"}, "environment": {"prod-us"}, "level": {"view"},
		"reason": {"Investigate stuck refunds in INC-4711 (read logs and pods)"}, "duration": {"1h"},
	})

	// The root message in the approvals channel, with its Approve button.
	var requestID string
	waitUntil(t, 20*time.Second, "the request's card in #prod-approvals", func() bool {
		requestID = buttonValue(b.slack, "#prod-approvals", "access:approve")
		return requestID != ""
	})
	for _, c := range b.slack.Calls("chat.postMessage") {
		if c.Channel() == "#prod-approvals" && !strings.Contains(c.Param("blocks"), "PENDING") {
			t.Errorf("root message does not say PENDING: %s", c.Param("blocks"))
		}
	}

	// Self-approval is refused, to the clicker only.
	var deadline time.Time
	b.click("U0PAYALICE", "access:approve", requestID, "#prod-approvals")
	refused := false
	for deadline = time.Now().Add(10 * time.Second); !refused && time.Now().Before(deadline); {
		for _, c := range b.slack.Calls() {
			if (c.Method == "chat.postEphemeral" || strings.Contains(c.Path, "/response/click-")) && strings.Contains(c.Text(), "your own access request") {
				refused = true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !refused {
		for _, c := range b.slack.Calls() {
			t.Logf("%s %s %s", c.Method, c.Path, c.Raw)
		}
		t.Fatal("self-approval was not refused with an explanation")
	}

	// A peer approves; the requester gets a kubeconfig by DM, never in the channel.
	b.click("U0PAYBOB", "access:approve", requestID, "#prod-approvals")
	var kubeconfig []byte
	for deadline = time.Now().Add(20 * time.Second); kubeconfig == nil && time.Now().Before(deadline); {
		for _, c := range b.slack.Calls() {
			if c.Method == slackfake.MethodUpload && strings.Contains(string(c.File), "current-context") {
				kubeconfig = c.File
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if kubeconfig == nil {
		t.Fatal("no kubeconfig was uploaded")
	}
	for _, c := range b.slack.Calls("files.completeUploadExternal") {
		if ch := c.Param("channel_id"); ch != "" && !strings.HasPrefix(ch, "D") {
			t.Fatalf("kubeconfig shared outside a DM: %s", ch)
		}
	}
	token := ""
	for _, l := range strings.Split(string(kubeconfig), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "token:") {
			token = strings.Trim(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "token:")), `"`)
		}
	}
	if token == "" {
		t.Fatalf("kubeconfig without a token")
	}
	for _, c := range b.slack.Calls("chat.postMessage", "chat.update", slackfake.MethodResponseURL) {
		if strings.Contains(string(c.Raw)+c.Text()+c.Param("blocks"), token) {
			t.Fatalf("the token leaked into %s", c.Method)
		}
	}
}

// accessConfig is the access section of a served bot's platbot.yaml: one
// production environment on the test kube-apiserver (kubeconfig), view
// access to the payments namespace, approved in #prod-approvals.
func accessConfig(kubeconfig string) string {
	return fmt.Sprintf(`access:
  kubeconfig: %q
  levels: {view: view}
  environments:
    - name: prod-us
      kubeContext: platbot-test
      approvalsRequired: 1
      maxDuration: 2h
      namespaces: {allow: [payments]}
      approvals: {default: "#prod-approvals"}
`, kubeconfig)
}
