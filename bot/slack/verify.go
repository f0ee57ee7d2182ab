package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Slack's request-signing headers.
const (
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	HeaderSignature = "X-Slack-Signature"
	HeaderRetryNum  = "X-Slack-Retry-Num"
)

// MaxSignatureAge is how far a request's timestamp may be from now (either
// way) before it is refused as a possible replay.
const MaxSignatureAge = 5 * time.Minute

// Reasons a request is rejected before any work (the reason label of
// platbot_slack_rejected_total).
const (
	ReasonMissingTimestamp   = "missing_timestamp"
	ReasonMissingSignature   = "missing_signature"
	ReasonMalformedTimestamp = "malformed_timestamp"
	ReasonMalformedSignature = "malformed_signature"
	ReasonStaleTimestamp     = "stale_timestamp"
	ReasonBadSignature       = "bad_signature"
	ReasonNoSecret           = "no_signing_secret"
	ReasonTooLarge           = "too_large"
	ReasonMalformed          = "malformed"
	ReasonMethod             = "method_not_allowed"
	ReasonBusy               = "busy"       // the endpoint's bound on requests in flight was reached
	ReasonOtherTeam          = "other_team" // signed by Slack for a workspace other than the configured one
)

// VerifyError is why a request failed signature verification. Reason is one
// of the Reason constants and safe to log and to use as a metric label.
type VerifyError struct{ Reason string }

func (e *VerifyError) Error() string { return "slack signature: " + e.Reason }

// Verifier checks Slack's v0 request signatures: HMAC-SHA256 with the
// signing secret over "v0:{timestamp}:{body}", compared in constant time,
// with the timestamp within MaxSignatureAge of now. The zero value rejects
// everything. It is safe for concurrent use.
type Verifier struct {
	secret []byte
	now    func() time.Time
}

// NewVerifier returns a verifier for the app's signing secret; now is the
// clock (time.Now when nil).
func NewVerifier(signingSecret string, now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{secret: []byte(signingSecret), now: now}
}

// Verify checks the signature headers against the raw body. It returns nil
// for a correctly signed, fresh request and a *VerifyError otherwise.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	return v.VerifyValues(h.Get(HeaderTimestamp), h.Get(HeaderSignature), body)
}

// VerifyValues is Verify with the two header values given directly.
func (v *Verifier) VerifyValues(timestamp, signature string, body []byte) error {
	s, err := v.Begin(timestamp, signature)
	if err != nil {
		return err
	}
	_, _ = s.Write(body)
	return s.Check()
}

// Begin checks what can be checked before the body is read — a secret is
// configured, both headers are present and well formed, the timestamp is
// fresh — and returns the running signature to write the body into as it
// arrives. A request failing here is refused without reading its body.
func (v *Verifier) Begin(timestamp, signature string) (*Signing, error) {
	if v == nil || len(v.secret) == 0 {
		return nil, &VerifyError{Reason: ReasonNoSecret}
	}
	if timestamp == "" {
		return nil, &VerifyError{Reason: ReasonMissingTimestamp}
	}
	if signature == "" {
		return nil, &VerifyError{Reason: ReasonMissingSignature}
	}
	ts, ok := parseTimestamp(timestamp)
	if !ok {
		return nil, &VerifyError{Reason: ReasonMalformedTimestamp}
	}
	now := v.now()
	if d := now.Sub(time.Unix(ts, 0)); d > MaxSignatureAge || d < -MaxSignatureAge {
		return nil, &VerifyError{Reason: ReasonStaleTimestamp}
	}
	hexSig, ok := strings.CutPrefix(signature, "v0=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return nil, &VerifyError{Reason: ReasonMalformedSignature}
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return nil, &VerifyError{Reason: ReasonMalformedSignature}
	}
	return &Signing{mac: signer(v.secret, timestamp), want: got}, nil
}

// Signing is a request signature being checked while the body streams in:
// write the body into it, then Check.
type Signing struct {
	mac  hash.Hash
	want []byte
}

// Write adds body bytes to the running HMAC.
func (s *Signing) Write(p []byte) (int, error) { return s.mac.Write(p) }

// Check compares the signature of everything written with the header's, in
// constant time.
func (s *Signing) Check() error {
	if !hmac.Equal(s.want, s.mac.Sum(nil)) {
		return &VerifyError{Reason: ReasonBadSignature}
	}
	return nil
}

// signer is the HMAC of a request signed at timestamp, before its body.
func signer(secret []byte, timestamp string) hash.Hash {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:"))
	mac.Write([]byte(timestamp))
	mac.Write([]byte(":"))
	return mac
}

// sign computes the raw v0 signature of a body.
func sign(secret []byte, timestamp string, body []byte) []byte {
	mac := signer(secret, timestamp)
	mac.Write(body)
	return mac.Sum(nil)
}

// Signature returns the X-Slack-Signature value for a body signed at
// timestamp (Unix seconds, as sent in X-Slack-Request-Timestamp).
func Signature(signingSecret, timestamp string, body []byte) string {
	return "v0=" + hex.EncodeToString(sign([]byte(signingSecret), timestamp, body))
}

// parseTimestamp accepts only plain decimal Unix seconds (no sign, no
// spaces, at most 12 digits), as Slack sends them.
func parseTimestamp(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 12 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// rejectReason returns the metric reason of a verification error.
func rejectReason(err error) string {
	var ve *VerifyError
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return ReasonBadSignature
}
