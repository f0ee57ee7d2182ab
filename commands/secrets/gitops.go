package secrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/integrations/yamledit"
	"github.com/platbot/platbot/store"
)

// publishPayload is the payload of JobPublish.
type publishPayload struct {
	Change string `json:"change"`
}

// publishMaxAttempts is how many times the pull request of a change is
// tried before platbot gives up and tells the requester.
const publishMaxAttempts = 5

// publishJob opens the pull request of a sealed or regenerated change,
// records it and tells the requester. It is idempotent: the publisher
// reuses the change's branch, and a change whose pull request is recorded
// is not published again. When it fails for good (publishMaxAttempts
// failures, or a permanent error) the requester gets a DM saying so.
func (s *Secrets) publishJob(ctx context.Context, payload json.RawMessage) error {
	var p publishPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.Change == "" {
		return bot.Permanent(fmt.Errorf("secrets: bad publish payload: %v", err))
	}
	rec, ch, err := s.loadChange(ctx, p.Change)
	if errors.Is(err, store.ErrNotFound) {
		return bot.Permanent(fmt.Errorf("secrets: change %s not found", p.Change))
	}
	if err != nil {
		return err
	}
	if rec.State != StateSealed || ch.Published || ch.PublishFailure != "" {
		return nil
	}
	change, notes, err := s.buildChange(ctx, ch)
	if err != nil {
		return s.publishFailed(ctx, ch, fmt.Errorf("secrets: prepare the pull request of change %s: %w", ch.ID, err))
	}
	var pr *PullRequestInfo
	if change != nil {
		if pr, err = s.pub.Open(ctx, *change); err != nil {
			return s.publishFailed(ctx, ch, fmt.Errorf("secrets: open the pull request of change %s: %w", ch.ID, err))
		}
	}
	_, err = s.store.TransitionRecord(ctx, KindChange, ch.ID, []string{StateSealed}, StateSealed, func(r *store.Record) error {
		c, err := decodeChange(r)
		if err != nil {
			return err
		}
		c.Published, c.Notes, c.PullRequest = true, notes, pr
		r.Data, err = json.Marshal(c)
		return err
	})
	if err != nil {
		return fmt.Errorf("secrets: record the pull request of change %s: %w", ch.ID, err)
	}
	details := map[string]any{"change": ch.ID, "op": ch.Op, "env": ch.Target.Env, "name": ch.Target.Name, "version": ch.Version}
	if pr != nil {
		details["url"], details["number"], details["branch"] = pr.URL, pr.Number, pr.Branch
		if err := s.saveSecret(ctx, ch.Target, func(sec *Secret) { sec.PullRequest = pr.URL }); err != nil {
			s.log.Warn("could not record the pull request on the secret", "change", ch.ID, "err", err)
		}
	}
	if len(notes) > 0 {
		details["notes"] = notes
	}
	s.auditEvent(ctx, store.Event{ActorID: ch.Requester.ID, ActorName: ch.Requester.Name, Action: "secrets.pr",
		Target: auditTarget(ch.Target), Outcome: "ok", Details: details})
	s.tell(ctx, ch, pr, notes)
	return nil
}

// publishFailed counts a failed attempt at a change's pull request. Below
// publishMaxAttempts it returns cause, so the worker retries; at the limit
// (or for a permanent cause) it records the failure, audits it, tells the
// requester and returns a permanent error.
func (s *Secrets) publishFailed(ctx context.Context, ch *Change, cause error) error {
	if ctx.Err() != nil {
		return cause // shutting down: not the change's fault, retried later
	}
	var perm *bot.PermanentError
	permanent := errors.As(cause, &perm)
	attempts, gaveUp := 0, false
	_, err := s.store.TransitionRecord(ctx, KindChange, ch.ID, []string{StateSealed}, StateSealed, func(r *store.Record) error {
		c, err := decodeChange(r)
		if err != nil {
			return err
		}
		c.PublishAttempts++
		attempts = c.PublishAttempts
		if permanent || c.PublishAttempts >= publishMaxAttempts {
			c.PublishFailure, gaveUp = cause.Error(), true
		}
		r.Data, err = json.Marshal(c)
		return err
	})
	if err != nil {
		s.log.Error("could not count a failed pull request attempt", "change", ch.ID, "err", err)
		return cause
	}
	if !gaveUp {
		return cause
	}
	s.log.Error("giving up on the pull request of a change", "change", ch.ID, "attempts", attempts, "err", cause)
	s.auditEvent(ctx, store.Event{ActorID: ch.Requester.ID, ActorName: ch.Requester.Name, Action: "secrets.pr",
		Target: auditTarget(ch.Target), Outcome: "error",
		Details: map[string]any{"change": ch.ID, "op": ch.Op, "env": ch.Target.Env, "name": ch.Target.Name, "version": ch.Version,
			"attempts": attempts, "error": cause.Error()}})
	t := ch.Target
	text := fmt.Sprintf("⚠️ *%s* for *%s* (`%s`) is stored as version %d in the %s, but I could not open the pull request that wires it into the cluster (%d attempt(s)). "+
		"Until it is merged, the service does not get the new value. Ask the platform team to look at platbot's logs for change `%s`.",
		t.Name, t.Service, t.Env, ch.Version, s.storeLabel(), attempts, ch.ID)
	s.dm(ctx, ch, text)
	if permanent {
		return cause
	}
	return bot.Permanent(cause)
}

// tell DMs the requester how a change ended.
func (s *Secrets) tell(ctx context.Context, ch *Change, pr *PullRequestInfo, notes []string) {
	t := ch.Target
	verb := map[string]string{OpAdd: "added", OpRotate: "rotated", OpRegenerate: "regenerated"}[ch.Op]
	head := fmt.Sprintf("✅ *%s* for *%s* (`%s`) %s: version %d in the %s at `%s/%s`.", t.Name, t.Service, t.Env, verb, ch.Version, s.storeLabel(), s.kv.Mount(), t.Path)
	blocks := []bot.Block{bot.Section{Text: head}}
	lines := []string{head}
	if pr != nil {
		l := fmt.Sprintf("Pull request #%d wires it into the cluster; merge it to use it: %s", pr.Number, pr.URL)
		blocks = append(blocks, bot.Section{Text: l})
		lines = append(lines, l)
	} else {
		blocks = append(blocks, bot.Section{Text: "No pull request was needed."})
		lines = append(lines, "No pull request was needed.")
	}
	for _, n := range notes {
		blocks = append(blocks, bot.Context{Text: n})
		lines = append(lines, n)
	}
	if s.kv.DevelopmentOnly() {
		blocks = append(blocks, bot.Context{Text: "⚠️ " + DevLabel + ": stored in the local development store, not in Vault."})
	}
	s.dm(ctx, ch, strings.Join(lines, "\n"), blocks...)
}

// buildChange prepares a change's pull request: the ExternalSecret of a
// sealed secret, the env entry in the Deployment, and for a rotation the
// checksum annotation on the pod template. It returns nil when nothing
// needs changing, with notes for the requester about what it could not do.
func (s *Secrets) buildChange(ctx context.Context, ch *Change) (*PRChange, []string, error) {
	t := ch.Target
	files := map[string]string{}
	var notes []string
	secretName := k8sName(t)
	vars := s.vars(t)

	if ch.Op != OpRegenerate {
		es, err := s.externalSecret(t, ch)
		if err != nil {
			return nil, nil, err
		}
		files[expand(s.cfg.ExternalSecretPath, vars)] = es
	}
	deployments := []string{expand(s.cfg.DeploymentPath, vars)}
	if ch.Op == OpRegenerate {
		deployments = append(deployments, s.dependents(t)...)
	}
	found := 0
	for _, dp := range deployments {
		src, err := s.readFile(ctx, dp)
		if errors.Is(err, fs.ErrNotExist) {
			if ch.Op == OpAdd {
				notes = append(notes, fmt.Sprintf("No Deployment manifest at `%s` (deploymentPath), so add this env entry to the service by hand:\n```\n%s```", dp, envSnippet(t.Name, secretName)))
			}
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", dp, err)
		}
		found++
		switch {
		case ch.Op == OpAdd:
			out, res, err := yamledit.AddSecretEnv(src, yamledit.SecretEnv{
				Container: expand(s.cfg.Container, vars), Name: t.Name, SecretName: secretName, SecretKey: t.Name,
			})
			switch {
			case err != nil:
				notes = append(notes, fmt.Sprintf("Could not add the env entry to `%s` automatically (%v). Add it by hand:\n```\n%s```", dp, err, envSnippet(t.Name, secretName)))
			case res.Exists:
				notes = append(notes, fmt.Sprintf("⚠️ `%s` already defines %s in container %q; I left it unchanged. If it should come from the new secret, make it `valueFrom.secretKeyRef` (name `%s`, key `%s`).", dp, t.Name, res.Container, secretName, t.Name))
			default:
				files[dp] = string(out)
			}
		case s.cfg.ChecksumAnnotation:
			out, changed, err := yamledit.SetPodTemplateAnnotation(src, s.cfg.ChecksumAnnotationKey, checksum(t, ch.Version))
			switch {
			case err != nil:
				notes = append(notes, fmt.Sprintf("Could not set %s on `%s` (%v): restart its pods by hand once External Secrets has refreshed the secret.", s.cfg.ChecksumAnnotationKey, dp, err))
			case changed:
				files[dp] = string(out)
			}
		default:
			notes = append(notes, fmt.Sprintf("The checksum annotation is off: restart the pods of `%s` once External Secrets has refreshed the secret (every %s).", dp, s.cfg.RefreshInterval))
		}
	}
	if ch.Op != OpAdd && found == 0 {
		notes = append(notes, fmt.Sprintf("No Deployment manifest found (%s): restart the pods that use %s once External Secrets has refreshed it (every %s).",
			strings.Join(deployments, ", "), t.Name, s.cfg.RefreshInterval))
	}
	if len(files) == 0 {
		return nil, notes, nil
	}
	verb := map[string]string{OpAdd: "add", OpRotate: "rotate", OpRegenerate: "regenerate"}[ch.Op]
	title := fmt.Sprintf("secret: %s %s of %s (%s)", verb, t.Name, t.Service, t.Env)
	return &PRChange{
		Branch:        "plat/secret-" + ch.ID,
		Title:         title,
		Body:          s.prBody(ch, files, notes),
		CommitMessage: title + "\n\nRequested by " + ch.Requester.String() + " through platbot (change " + ch.ID + ").\nThe value is in the secret store, never in this repository.",
		Files:         files,
		Labels:        s.cfg.Labels,
	}, notes, nil
}

func (s *Secrets) vars(t Target) map[string]string {
	return map[string]string{"service": t.Service, "env": t.Env, "team": t.Team, "secret": k8sName(t), "name": t.Name}
}

// dependents are the Deployment paths of the components that depend on a
// generated secret's resource (spec.dependencyOf), whose pods must restart.
func (s *Secrets) dependents(t Target) []string {
	e, ok := s.cat.Get(t.ServiceRef)
	if !ok {
		return nil
	}
	var out []string
	for _, ref := range e.SpecStrings("dependencyOf") {
		d, ok := s.cat.Get(catalog.NormalizeRef(ref, catalog.KindComponent, catalog.DefaultNamespace))
		if !ok || d.Kind != catalog.KindComponent {
			continue
		}
		v := s.vars(t)
		v["service"] = d.Metadata.Name
		out = append(out, expand(s.cfg.DeploymentPath, v))
	}
	sort.Strings(out)
	return out
}

func (s *Secrets) readFile(ctx context.Context, path string) ([]byte, error) {
	if s.files == nil {
		return nil, fmt.Errorf("no GitOps file reader configured: %w", fs.ErrNotExist)
	}
	return s.files.ReadFile(ctx, path)
}

// checksum is the pod-template annotation of a rotation: derived from the
// secret's path and Vault version only, never from its value.
func checksum(t Target, version int) string {
	sum := sha256.Sum256([]byte(t.Path + "@v" + strconv.Itoa(version)))
	return hex.EncodeToString(sum[:8])
}

func envSnippet(name, secretName string) string {
	return fmt.Sprintf("- name: %s\n  valueFrom:\n    secretKeyRef:\n      name: %s\n      key: %s\n", name, secretName, name)
}

// The ExternalSecret (external-secrets.io/v1) of a sealed secret, as far
// as platbot writes it. Current external-secrets releases serve only v1
// (their CRD keeps v1beta1 unserved), and the fields written here are the
// same in both versions, so an older v1beta1 file platbot wrote is replaced
// whole, as v1, by the next add or rotation of that secret.
type externalSecret struct {
	APIVersion string             `yaml:"apiVersion"`
	Kind       string             `yaml:"kind"`
	Metadata   esMetadata         `yaml:"metadata"`
	Spec       externalSecretSpec `yaml:"spec"`
}

type esMetadata struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

type externalSecretSpec struct {
	RefreshInterval string         `yaml:"refreshInterval"`
	SecretStoreRef  esStoreRef     `yaml:"secretStoreRef"`
	Target          esTarget       `yaml:"target"`
	Data            []esSecretData `yaml:"data"`
}

type esStoreRef struct {
	Kind string `yaml:"kind"`
	Name string `yaml:"name"`
}

type esTarget struct {
	Name           string `yaml:"name"`
	CreationPolicy string `yaml:"creationPolicy"`
}

type esSecretData struct {
	SecretKey string      `yaml:"secretKey"`
	RemoteRef esRemoteRef `yaml:"remoteRef"`
}

type esRemoteRef struct {
	Key      string `yaml:"key"`
	Property string `yaml:"property"`
}

// externalSecretAPIVersion is the ExternalSecret's apiVersion.
const externalSecretAPIVersion = "external-secrets.io/v1"

// externalSecret renders the ExternalSecret that copies a sealed secret
// from Vault into a Kubernetes Secret. A rotation's carries a force-sync
// annotation, so External Secrets refreshes as soon as it is merged.
func (s *Secrets) externalSecret(t Target, ch *Change) (string, error) {
	name := k8sName(t)
	es := externalSecret{
		APIVersion: externalSecretAPIVersion,
		Kind:       "ExternalSecret",
		Metadata: esMetadata{
			Name: name, Namespace: s.namespaceOf(t),
			Labels: map[string]string{"app.kubernetes.io/name": t.Service, "app.kubernetes.io/managed-by": "platbot"},
		},
		Spec: externalSecretSpec{
			RefreshInterval: s.cfg.RefreshInterval,
			SecretStoreRef:  esStoreRef{Kind: "ClusterSecretStore", Name: s.cfg.SecretStoreRef},
			Target:          esTarget{Name: name, CreationPolicy: "Owner"},
			Data:            []esSecretData{{SecretKey: t.Name, RemoteRef: esRemoteRef{Key: t.Path, Property: "value"}}},
		},
	}
	if ch.Op == OpRotate {
		es.Metadata.Annotations = map[string]string{"force-sync": ch.ID}
	}
	var doc yaml.Node
	if err := doc.Encode(es); err != nil {
		return "", fmt.Errorf("encode the ExternalSecret of %s: %w", t.Path, err)
	}
	doc.HeadComment = fmt.Sprintf("Managed by platbot (/plat secret %s). Copies %s from %s/%s (property \"value\")\ninto the Kubernetes Secret %s. The value itself is never in this repository.",
		ch.Op, t.Name, s.kv.Mount(), t.Path, name)
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", fmt.Errorf("encode the ExternalSecret of %s: %w", t.Path, err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encode the ExternalSecret of %s: %w", t.Path, err)
	}
	return b.String(), nil
}

func (s *Secrets) prBody(ch *Change, files map[string]string, notes []string) string {
	t := ch.Target
	var b strings.Builder
	switch ch.Op {
	case OpAdd:
		fmt.Fprintf(&b, "Adds the secret `%s` to **%s** in `%s`.\n\n", t.Name, t.Service, t.Env)
	case OpRotate:
		fmt.Fprintf(&b, "Rotates the secret `%s` of **%s** in `%s`.\n\n", t.Name, t.Service, t.Env)
	case OpRegenerate:
		fmt.Fprintf(&b, "Restarts the pods that use the generated secret `%s` of **%s** in `%s`, which platbot just regenerated.\n\n", t.Name, t.Service, t.Env)
	}
	if ch.Description != "" {
		// Typed by the requester: escaped for GitHub markdown, quoted line by line.
		fmt.Fprintf(&b, "> %s\n\n", strings.ReplaceAll(bot.UserText(ch.Description).Markdown(), "\n", "\n> "))
	}
	fmt.Fprintf(&b, "- Stored in: %s at `%s/%s`, version %d\n", s.storeLabel(), s.kv.Mount(), t.Path, ch.Version)
	fmt.Fprintf(&b, "- Requested by: %s (platbot change `%s`)\n", ch.Requester.String(), ch.ID)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	b.WriteString("- Files:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - `%s`\n", n)
	}
	if len(notes) > 0 {
		b.WriteString("\n**Notes**\n\n")
		for _, n := range notes {
			b.WriteString("- " + n + "\n")
		}
	}
	b.WriteString("\nThe value was entered on platbot's one-time sealing page (or generated) and written straight to the secret store; it is not in this pull request, in Slack or in platbot's logs.\n")
	if ch.DevOnly {
		b.WriteString("\n⚠️ " + DevLabel + ": platbot ran without Vault; the value is in its local development store only.\n")
	}
	return b.String()
}
