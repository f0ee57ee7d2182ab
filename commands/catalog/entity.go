// Package catalog is platbot's software catalog: entities in Backstage's own
// format (backstage.io/v1alpha1) read from federated locations, validated,
// indexed and persisted, plus the identity of a chat user (their catalog
// User, groups, manager and roles). Every feature reads services, owners and
// teams through it.
package catalog

import (
	"strconv"
	"strings"
)

// Entity kinds.
const (
	KindComponent = "Component"
	KindAPI       = "API"
	KindResource  = "Resource"
	KindSystem    = "System"
	KindDomain    = "Domain"
	KindGroup     = "Group"
	KindUser      = "User"
	KindLocation  = "Location"
	KindTemplate  = "Template"
)

// DefaultNamespace is the namespace of an entity that names none.
const DefaultNamespace = "default"

// Well-known annotations.
const (
	AnnotationSlackUserID  = "slack.com/user-id"
	AnnotationSlackChannel = "slack.com/channel"
	AnnotationGitHubSlug   = "github.com/project-slug"
	AnnotationPagerDuty    = "pagerduty.com/service-id"
	AnnotationCostTag      = "finops/cost-tag"
	AnnotationBudget       = "finops/monthly-budget"
	AnnotationNamespace    = "backstage.io/kubernetes-namespace"
	AnnotationManager      = "platbot.dev/manager"
	AnnotationOrigin       = "backstage.io/managed-by-origin-location"
	AnnotationManagedBy    = "backstage.io/managed-by-location"
	AnnotationSourceFile   = "platbot.dev/source-file"
)

// Entity is one catalog entity, as in a catalog-info.yaml document.
type Entity struct {
	APIVersion string         `yaml:"apiVersion" json:"apiVersion"`
	Kind       string         `yaml:"kind" json:"kind"`
	Metadata   Metadata       `yaml:"metadata" json:"metadata"`
	Spec       map[string]any `yaml:"spec,omitempty" json:"spec,omitempty"`
	Relations  []Relation     `yaml:"relations,omitempty" json:"relations,omitempty"`

	// Source says where the entity was read from (location and file:line).
	Source Source `yaml:"-" json:"source"`
	// Orphan is set when the entity vanished from its location on a refresh;
	// it is kept (as Backstage does) until an admin removes it.
	Orphan bool `yaml:"-" json:"orphan,omitempty"`
}

// Metadata is an entity's metadata block.
type Metadata struct {
	Name        string            `yaml:"name" json:"name"`
	Namespace   string            `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Title       string            `yaml:"title,omitempty" json:"title,omitempty"`
	Description string            `yaml:"description,omitempty" json:"description,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
	Tags        []string          `yaml:"tags,omitempty" json:"tags,omitempty"`
	Links       []Link            `yaml:"links,omitempty" json:"links,omitempty"`
}

// Link is a metadata link.
type Link struct {
	URL   string `yaml:"url" json:"url"`
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	Icon  string `yaml:"icon,omitempty" json:"icon,omitempty"`
	Type  string `yaml:"type,omitempty" json:"type,omitempty"`
}

// Relation is a computed edge to another entity (ownedBy, partOf, ...).
type Relation struct {
	Type      string `yaml:"type" json:"type"`
	TargetRef string `yaml:"targetRef" json:"targetRef"`
}

// Source is where an entity came from.
type Source struct {
	Location string `json:"location"` // the configured location it was reached from, e.g. "file:examples/catalog" or "url:https://github.com/acme/payments/blob/main/catalog-info.yaml"
	File     string `json:"file"`
	Line     int    `json:"line"`
}

// String renders "file:line".
func (s Source) String() string {
	if s.Line > 0 {
		return s.File + ":" + strconv.Itoa(s.Line)
	}
	return s.File
}

// Ref returns the entity's canonical reference, "kind:namespace/name" in
// lower case (Backstage's stringifyEntityRef).
func (e *Entity) Ref() string {
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	return lowerKind(e.Kind) + ":" + strings.ToLower(ns) + "/" + strings.ToLower(e.Metadata.Name)
}

// lowerKinds are the known kinds in lower case.
var lowerKinds = func() map[string]string {
	m := make(map[string]string, len(Kinds))
	for _, k := range Kinds {
		m[k] = strings.ToLower(k)
	}
	return m
}()

// lowerKind is strings.ToLower(kind) without allocating for a known kind.
func lowerKind(kind string) string {
	if l, ok := lowerKinds[kind]; ok {
		return l
	}
	return strings.ToLower(kind)
}

// DisplayName is the title, else the name.
func (e *Entity) DisplayName() string {
	if e.Metadata.Title != "" {
		return e.Metadata.Title
	}
	return e.Metadata.Name
}

// SpecString returns a string spec field ("" when absent).
func (e *Entity) SpecString(key string) string {
	if e.Spec == nil {
		return ""
	}
	if s, ok := e.Spec[key].(string); ok {
		return s
	}
	return ""
}

// SpecStrings returns a list-of-strings spec field (memberOf, dependsOn ...).
func (e *Entity) SpecStrings(key string) []string {
	if e.Spec == nil {
		return nil
	}
	switch v := e.Spec[key].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []string{v}
	}
	return nil
}

// Annotation returns an annotation value ("" when absent).
func (e *Entity) Annotation(key string) string { return e.Metadata.Annotations[key] }

// Owner returns the canonical ref of spec.owner (a Group or User; a bare
// name means a Group, as in Backstage).
func (e *Entity) Owner() string {
	o := e.SpecString("owner")
	if o == "" {
		return ""
	}
	return NormalizeRef(o, KindGroup, e.Metadata.Namespace)
}

// Lifecycle returns spec.lifecycle.
func (e *Entity) Lifecycle() string { return e.SpecString("lifecycle") }

// Type returns spec.type.
func (e *Entity) Type() string { return e.SpecString("type") }

// ParseRef splits "[kind:][namespace/]name" into its parts; missing parts
// are filled from defaultKind and defaultNamespace.
func ParseRef(ref, defaultKind, defaultNamespace string) (kind, namespace, name string) {
	ref = strings.TrimSpace(ref)
	if i := strings.Index(ref, ":"); i >= 0 {
		kind, ref = ref[:i], ref[i+1:]
	} else {
		kind = defaultKind
	}
	if i := strings.Index(ref, "/"); i >= 0 {
		namespace, name = ref[:i], ref[i+1:]
	} else {
		namespace, name = defaultNamespace, ref
	}
	if namespace == "" {
		namespace = DefaultNamespace
	}
	return kind, namespace, name
}

// NormalizeRef returns the canonical lower-case "kind:namespace/name" form of
// a possibly shortened reference.
func NormalizeRef(ref, defaultKind, defaultNamespace string) string {
	kind, ns, name := ParseRef(ref, defaultKind, defaultNamespace)
	return lowerKind(kind) + ":" + strings.ToLower(ns) + "/" + strings.ToLower(name)
}

// Identity is what the catalog knows about a chat user.
type Identity struct {
	// UserRef is the catalog User ("user:default/jane"), "" when unknown.
	UserRef string `json:"user_ref,omitempty"`
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"`
	// Groups are the user's groups (spec.memberOf) and all their parents, as refs.
	Groups []string `json:"groups,omitempty"`
	// DirectGroups are spec.memberOf only.
	DirectGroups []string `json:"direct_groups,omitempty"`
	// Manager is the user ref of the user's manager ("" when none is known).
	Manager string `json:"manager,omitempty"`
	// Roles are "admin", "engineer" (any catalog user) and whatever config adds.
	Roles []string `json:"roles,omitempty"`
	// Manages are the groups whose platbot.dev/manager annotation names the
	// user, as refs.
	Manages []string `json:"manages,omitempty"`
	// SlackID is the Slack user id the identity was resolved for.
	SlackID string `json:"slack_id,omitempty"`
}

// Known reports whether the chat user was found in the catalog.
func (i *Identity) Known() bool { return i != nil && i.UserRef != "" }

// IsManagerOf reports whether the identity is the manager of the group ref.
func (i *Identity) IsManagerOf(groupRef string) bool {
	g := NormalizeRef(groupRef, KindGroup, DefaultNamespace)
	for _, x := range i.Manages {
		if x == g {
			return true
		}
	}
	return false
}

// HasRole reports whether the identity has the role.
func (i *Identity) HasRole(role string) bool {
	for _, r := range i.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// IsAdmin reports whether the identity holds the admin role.
func (i *Identity) IsAdmin() bool { return i.HasRole("admin") }

// InGroup reports whether the identity belongs to the group ref (directly or
// through a parent).
func (i *Identity) InGroup(groupRef string) bool {
	g := NormalizeRef(groupRef, KindGroup, DefaultNamespace)
	for _, x := range i.Groups {
		if x == g {
			return true
		}
	}
	return false
}

// Team returns the user's primary team: the first direct group ("" when none).
func (i *Identity) Team() string {
	if len(i.DirectGroups) > 0 {
		return i.DirectGroups[0]
	}
	return ""
}
