package catalog

import (
	"strings"

	"github.com/platbot/platbot/bot"
)

// ResourceOf describes an entity for a policy decision: its kind in lower
// case, name, ref, owner, lifecycle and tags. A Group is its own owner, so
// "the resource's owner is one of the user's groups" holds for its members.
func ResourceOf(e *Entity) bot.Resource {
	owner := e.Owner()
	if e.Kind == KindGroup {
		owner = e.Ref()
	}
	return bot.Resource{
		Kind:      strings.ToLower(e.Kind),
		Name:      e.Metadata.Name,
		Ref:       e.Ref(),
		Owner:     owner,
		Lifecycle: e.Lifecycle(),
		Tags:      append([]string(nil), e.Metadata.Tags...),
	}
}
