package access

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
)

// RecordKind is the store record kind of access requests (and the grants
// they become).
const RecordKind = "access.request"

// Request states. A request starts Pending (or Approved, for break-glass),
// and a grant is the Approved/Active part of its life.
const (
	// StatePending waits for approvals.
	StatePending = "pending"
	// StateApproved has enough approvals; its deadline runs and credentials
	// are being issued.
	StateApproved = "approved"
	// StateActive has its credentials issued.
	StateActive = "active"
	// StateDenied was denied by a reviewer.
	StateDenied = "denied"
	// StateLapsed was never decided and expired while pending.
	StateLapsed = "lapsed"
	// StateExpired reached its deadline and was revoked.
	StateExpired = "expired"
	// StateRevoked was ended early.
	StateRevoked = "revoked"
	// StateFailed could not be issued.
	StateFailed = "failed"
	// StateApplied is an approved extension that has extended its grant.
	StateApplied = "applied"
)

// live are the states in which a grant holds (or is getting) credentials.
var live = []string{StateApproved, StateActive}

// ended are the final states of a grant whose cluster objects must be gone.
var ended = []string{StateExpired, StateRevoked, StateFailed}

// Review is the follow-up review of a break-glass grant. (Approvals and
// denials are approval.Votes.)
type Review struct {
	User    bot.User  `json:"user"`
	UserRef string    `json:"user_ref,omitempty"`
	Role    string    `json:"role,omitempty"` // peer, manager
	At      time.Time `json:"at"`
	Verdict string    `json:"verdict,omitempty"`
	Note    string    `json:"note,omitempty"`
}

// AccessRequest is a request for access to a service's namespace in one
// environment, and, once approved, the grant it became. It is persisted as
// a store record; it never holds a token.
type AccessRequest struct {
	// Ballot holds the requester, the transport, the approvals required
	// and given, the denial, the lapse time and the card (stored inline).
	approval.Ballot

	ID           string `json:"id"`
	RequesterRef string `json:"requester_ref,omitempty"`
	// Service is the catalog ref of the service, Owner its owning group.
	Service     string `json:"service"`
	ServiceName string `json:"service_name"`
	Owner       string `json:"owner"`
	Namespace   string `json:"namespace"`
	Environment string `json:"environment"`
	Level       string `json:"level"`
	ClusterRole string `json:"cluster_role"`
	// Duration is how long the grant lasts once approved.
	Duration time.Duration `json:"duration"`
	Reason   string        `json:"reason"`
	Ticket   string        `json:"ticket,omitempty"`

	BreakGlass bool `json:"break_glass,omitempty"`
	// ExtendsID names the grant an extension request extends.
	ExtendsID string `json:"extends_id,omitempty"`

	// Recent summarises the requester's earlier requests, Peers and
	// Manager who could approve (Slack ids), as shown on the card.
	Recent  []Summary `json:"recent,omitempty"`
	Peers   []string  `json:"peers,omitempty"`
	Manager string    `json:"manager,omitempty"`

	Created time.Time `json:"created"`
	// TeamPost is the break-glass announcement in the team's channel.
	TeamPost bot.MessageRef `json:"team_post,omitempty"`

	// Grant.
	ApprovedAt     time.Time `json:"approved_at,omitempty"`
	ExpiresAt      time.Time `json:"expires_at,omitempty"`
	KubeContext    string    `json:"kube_context,omitempty"`
	ServiceAccount string    `json:"service_account,omitempty"`
	SANamespace    string    `json:"sa_namespace,omitempty"`
	// KubeIdentity is system:serviceaccount:<ns>:<name>.
	KubeIdentity string `json:"kube_identity,omitempty"`
	// Deliveries counts kubeconfigs sent; DeliveredFor is the deadline the
	// last one was minted for.
	Deliveries   int       `json:"deliveries,omitempty"`
	DeliveredFor time.Time `json:"delivered_for,omitempty"`
	// Extensions are the ids of the applied extension requests.
	Extensions []string `json:"extensions,omitempty"`
	// ExtendedTo is the deadline an applied extension set.
	ExtendedTo time.Time `json:"extended_to,omitempty"`

	EndedAt   time.Time `json:"ended_at,omitempty"`
	EndedBy   *bot.User `json:"ended_by,omitempty"`
	EndReason string    `json:"end_reason,omitempty"`
	// CleanedUp is set once the cluster objects of an ended grant are gone
	// and everyone was told.
	CleanedUp bool   `json:"cleaned_up,omitempty"`
	Failure   string `json:"failure,omitempty"`

	// FollowUp is the mandatory review of a break-glass grant.
	FollowUp *Review `json:"follow_up,omitempty"`
	// Nags counts break-glass review reminders.
	Nags int `json:"nags,omitempty"`
}

// Summary is one line of a requester's history.
type Summary struct {
	ID          string    `json:"id"`
	Service     string    `json:"service"`
	Environment string    `json:"environment"`
	Level       string    `json:"level"`
	State       string    `json:"state"`
	Created     time.Time `json:"created"`
	BreakGlass  bool      `json:"break_glass,omitempty"`
}

// jobPayload is the payload of every access job: never a secret.
type jobPayload struct {
	ID string `json:"id"`
	// Deadline is the grant deadline an expiry or warning job is for.
	Deadline time.Time `json:"deadline,omitempty"`
	// N numbers recurring reminders.
	N int `json:"n,omitempty"`
}

// Kind describes the request in words.
func (r *AccessRequest) Kind() string {
	switch {
	case r.BreakGlass:
		return "break-glass access"
	case r.ExtendsID != "":
		return "extension"
	}
	return "access request"
}

// requestID derives a short, stable id from the id of the chat delivery
// that created it, so a retried submission finds its request again.
func requestID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])
	return prefix + strings.ToLower(enc[:10])
}

// saName is the ServiceAccount and RoleBinding name of a grant.
func saName(id string) string { return "platbot-" + id }

func decode(data []byte) (*AccessRequest, error) {
	var r AccessRequest
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("decode access request: %w", err)
	}
	return &r, nil
}
