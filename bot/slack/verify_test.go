package slack

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"
)

func TestVerifierWindowAndReasons(t *testing.T) {
	now := time.Unix(1700000000, 0)
	v := NewVerifier(testSecret, func() time.Time { return now })
	body := []byte("token=x&command=%2Fplat&text=ping")
	check := func(ts int64, want string) {
		t.Helper()
		tss := strconv.FormatInt(ts, 10)
		err := v.VerifyValues(tss, Signature(testSecret, tss, body), body)
		var ve *VerifyError
		switch {
		case want == "" && err != nil:
			t.Fatalf("ts %d: %v", ts, err)
		case want != "" && (!errors.As(err, &ve) || ve.Reason != want):
			t.Fatalf("ts %d: %v, want %s", ts, err, want)
		}
	}
	check(now.Unix(), "")
	check(now.Unix()-300, "")
	check(now.Unix()+300, "")
	check(now.Unix()-301, ReasonStaleTimestamp)
	check(now.Unix()+301, ReasonStaleTimestamp)

	var zero Verifier
	if err := zero.VerifyValues("1", "v0=00", body); err == nil {
		t.Fatal("zero Verifier accepted a request")
	}
	if err := NewVerifier("", nil).Verify(http.Header{}, body); rejectReason(err) != ReasonNoSecret {
		t.Fatalf("no secret = %v", err)
	}
}

// Our signatures are the ones slack-go's own verifier computes.
func TestSignatureMatchesSlackGo(t *testing.T) {
	body := []byte(`{"type":"event_callback"}`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, Signature(testSecret, ts, body))
	sv, err := goslack.NewSecretsVerifier(h, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = sv.Write(body)
	if err := sv.Ensure(); err != nil {
		t.Fatalf("slack-go disagrees: %v", err)
	}
	if err := NewVerifier(testSecret, nil).Verify(h, body); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}
