package paths

import (
	"sort"
	"time"
)

// TemplateLoad is what the last load of the templates found, for the
// template sources' health (commands/status, wired in cmd/platbot).
type TemplateLoad struct {
	// At is when the templates were last loaded; zero before the first load.
	At time.Time
	// Templates is how many templates were found, loadable or not.
	Templates int
	// Unloadable are the templates found that cannot be loaded (their
	// files missing or unreadable, their source failing), by name.
	Unloadable []string
}

// LastLoad reports the last load of the templates.
func (p *Paths) LastLoad() TemplateLoad {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := TemplateLoad{At: p.loadedAt}
	if p.state == nil {
		return out
	}
	out.Templates = len(p.state.entries)
	for name, e := range p.state.entries {
		if e.Current == nil {
			out.Unloadable = append(out.Unloadable, name)
		}
	}
	sort.Strings(out.Unloadable)
	return out
}
