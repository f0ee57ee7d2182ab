package paths

import (
	"context"
	"sync"
	"testing"

	"github.com/platbot/platbot/commands/paths/template"
)

// stallingSource stalls its first Templates call until release is closed
// (entered is closed once it stalls); later calls go straight through.
type stallingSource struct {
	inner            TemplateSource
	once             sync.Once
	entered, release chan struct{}
}

func (s *stallingSource) Templates(ctx context.Context) ([]*template.Template, []LoadProblem) {
	first := false
	s.once.Do(func() { first = true })
	if first {
		close(s.entered)
		<-s.release
	}
	return s.inner.Templates(ctx)
}

// A reload that read the approvals before an admin approved a template,
// and finishes after the approval's own reload, does not put the old state
// back: /plat <template> runs right after "Approved template" (it answered
// "not approved" under load before).
func TestSlowReloadDoesNotUndoAnApproval(t *testing.T) {
	e := newEnv(t, envOptions{noApprove: true})
	src := &stallingSource{inner: e.paths.source, entered: make(chan struct{}), release: make(chan struct{})}
	e.paths.source = src
	done := make(chan error, 1)
	go func() { done <- e.paths.Reload(context.Background()) }()
	<-src.entered // the slow reload has read the approvals: none

	e.approve(t, "new-db")
	close(src.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e.approved("new-db") == nil {
		t.Fatal("the slow reload put back the state from before the approval")
	}
}
