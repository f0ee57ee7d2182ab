package paths

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/approval"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/template"
	"github.com/platbot/platbot/store"
)

// Template approvals run on the approval lifecycle (bot/approval): the
// approval of a template is a request of kind KindApproval whose id is the
// template's name, kept in state approval.StateApproved, and every new
// version an admin approves replaces it with a compare-and-swap
// (Flow.Update), so two admins approving at once cannot both win. An admin
// approves by command (/plat template approve), which the router has
// already authorized (bot.ActionAdmin), so there is no card, no waiting and
// nothing to lapse: the flow's card, channel and texts describe the
// approval for completeness only.

// templateApproval is the stored approval of a template (record
// KindApproval, id = name).
type templateApproval struct {
	// Ballot's Requester is the admin who approved the current version.
	approval.Ballot
	Name string `json:"name"`
	Hash string `json:"hash"`
	// Owner is the template's owner (the record's key).
	Owner      string    `json:"owner,omitempty"`
	ApprovedBy bot.User  `json:"approved_by"`
	ApprovedAt time.Time `json:"approved_at"`
	// History lists earlier approved versions, oldest first.
	History []approvalEntry `json:"history,omitempty"`
}

type approvalEntry struct {
	Hash string    `json:"hash"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// actionApprove is the audit action of a template approval.
const actionApprove = "paths.template.approve"

// errNoCard is the channel of a template approval's card: admins approve
// by command, never on a card.
var errNoCard = errors.New("template approvals are given by command (/plat template approve), not on a card")

// templateApprovalConfig is the approval flow of templates.
func templateApprovalConfig() approval.Config[templateApproval] {
	return approval.Config[templateApproval]{
		Kind: KindApproval, Noun: "template approval",
		ID:     func(a *templateApproval) string { return a.Name },
		Ballot: func(a *templateApproval) *approval.Ballot { return &a.Ballot },
		Key:    func(a *templateApproval) string { return a.Owner },
		NotFound: func(id string) error {
			return bot.Errorf("There is no template `%s`. `/plat templates` lists them.", bot.UserText(id))
		},
		// Only admins approve templates; the router checks it before the
		// command runs.
		MayDecide: func(context.Context, *bot.Request, *templateApproval) (approval.Eligibility, error) {
			return approval.Eligibility{Role: "admin"}, nil
		},
		Card: func(a *templateApproval, state string) bot.Message {
			return bot.Message{Text: fmt.Sprintf("Template `%s` version `%s`: %s by %s.", a.Name, template.ShortHash(a.Hash), state, a.ApprovedBy.Name)}
		},
		Channel: func(*templateApproval) (string, error) { return "", errNoCard },
		Texts:   func(*templateApproval, approval.Event) approval.Texts { return approval.Texts{} },
		AuditTarget: func(a *templateApproval) string {
			return catalog.NormalizeRef(a.Name, catalog.KindTemplate, catalog.DefaultNamespace)
		},
		DecideAction: actionApprove,
	}
}

// approve records t as the approved version of its template, approved by
// req's user, and audits it; prev is the version approved before it ("" for
// none). A version that another admin approved meanwhile (since prev was
// read) is refused rather than overwritten.
func (p *Paths) approve(ctx context.Context, req *bot.Request, t *template.Template, prev, source string) error {
	v := version{Name: t.Name, Hash: t.Hash, Manifest: t.ManifestPath, Files: t.Files, Executable: t.ExecutableNames(), Source: t.Source}
	if _, err := p.versions().Put(ctx, store.Record{ID: t.Name + "@" + t.Hash, Key: t.Name}, v); err != nil {
		return fmt.Errorf("store template version: %w", err)
	}
	now := p.now().UTC()
	by := req.User
	ballot := approval.Ballot{Requester: by, Transport: req.Transport, Required: 1}
	concurrent := bot.Errorf("Someone approved %s at the same moment; look again with `/plat templates`.", t.Name)
	var a *templateApproval
	if prev == "" {
		a = &templateApproval{Ballot: ballot, Name: t.Name, Hash: t.Hash, Owner: t.Owner, ApprovedBy: by, ApprovedAt: now}
		created, err := p.approvals.Save(ctx, a, approval.StateApproved)
		if err != nil {
			return err
		}
		if !created {
			return concurrent
		}
	} else {
		var err error
		a, _, err = p.approvals.Update(ctx, t.Name, func(state string, x *templateApproval) (string, error) {
			if x.Hash != prev {
				return "", concurrent
			}
			x.History = append(x.History, approvalEntry{Hash: x.Hash, By: x.ApprovedBy.ID, At: x.ApprovedAt})
			x.Ballot, x.Hash, x.Owner, x.ApprovedBy, x.ApprovedAt = ballot, t.Hash, t.Owner, by, now
			return approval.StateApproved, nil
		})
		if err != nil {
			return err
		}
	}
	p.approvals.Audit(ctx, by, actionApprove, "allow", a, map[string]any{"version": t.Hash, "previous": prev, "owner": t.Owner, "source": source})
	return nil
}

// versions are the stored template versions.
func (p *Paths) versions() store.Typed[version] {
	return store.RecordsOf[version](p.store, KindVersion)
}
