package golden

import (
	"context"
	"errors"
	"io/fs"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/paths/actions"
	"github.com/platbot/platbot/integrations/yamledit"
)

// The golden paths that give a service a new environment (new-environment,
// add-region) also add it to the service's deployment intent, which
// /plat where and /plat move read: in the same pull request when the
// service's catalog file is in the GitOps repository, else by telling the
// team, in the pull request's description, what to add where.

// catalogFileLocator is a GitOps reader that knows whether a catalog file
// (an entity's Source.File) is in the GitOps repository, and where;
// integrations/gitops.Publisher is one. Without it no entity is edited.
type catalogFileLocator interface {
	RepoPath(file string) (string, bool)
}

// intentEdit is how the new environment gets into the service's
// deployment intent: path and content when this pull request edits the
// catalog file (effect says how, for the plan); note for its description
// either way.
type intentEdit struct {
	path, content string
	effect, note  string
}

// planEffect is the edit as a line of the plan of service's step.
func (ie intentEdit) planEffect(service string) string {
	if ie.path != "" {
		return "edit " + ie.path + ": " + ie.effect
	}
	return "leave the catalog entity of " + service + " alone: " + ie.note
}

// write adds the edited catalog file, if any, to the run's files.
func (ie intentEdit) write(sc *actions.StepContext) {
	if ie.path != "" {
		sc.Files[ie.path] = ie.content
	}
}

// addToIntent adds env to the deployment intent in svc's catalog file
// when the GitOps repository (files) holds that file (as an earlier step
// of the run left it, else as its base branch has it); otherwise, or when
// the file cannot be edited safely, the note says what to add where.
func addToIntent(ctx context.Context, sc *actions.StepContext, files actions.GitOpsFiles, svc *catalog.Entity, env yamledit.IntentEnvironment) (intentEdit, error) {
	item := "`{name: " + env.Name
	if env.Tier != "" {
		item += ", tier: " + env.Tier
	}
	if env.Region != "" {
		item += ", region: " + env.Region
	}
	item += "}`"
	manual := func(why string) intentEdit {
		return intentEdit{note: why + ": add " + item + " to `spec.deployment.environments` of " + svc.Metadata.Name +
			" there (or to its `" + catalog.AnnotationEnvironments + "` annotation, if it uses that) so that /plat where shows " + env.Name + "."}
	}
	src := svc.Source.File
	if src == "" {
		src = "a file platbot does not know"
	}
	if _, has, _ := catalog.IntentOf(svc); !has {
		return intentEdit{note: "The catalog entity of " + svc.Metadata.Name + " (" + src + ") declares no deployment intent, so this pull request adds none: " +
			"declare all its environments, " + env.Name + " among them, in its `spec.deployment.environments` so that /plat where shows them."}, nil
	}
	loc, ok := files.(catalogFileLocator)
	if !ok {
		return manual("The catalog entity of " + svc.Metadata.Name + " is read from " + src + ", which platbot cannot edit in this pull request"), nil
	}
	path, ok := loc.RepoPath(svc.Source.File)
	if !ok {
		return manual("The catalog entity of " + svc.Metadata.Name + " is read from " + src + ", outside the GitOps repository this pull request targets"), nil
	}
	data, written := []byte(sc.Files[path]), false
	if _, written = sc.Files[path]; !written {
		// Not written by an earlier step of this run: the base branch's.
		b, err := files.ReadFile(ctx, path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return manual("The catalog entity of " + svc.Metadata.Name + " is read from " + path + ", which the GitOps repository's base branch does not have"), nil
		case err != nil:
			return intentEdit{}, &actions.StepError{Msg: "could not read " + path + " (the catalog entity of " + svc.Metadata.Name + ") from the GitOps repository",
				Hint: "Press Retry", Err: err}
		}
		data = b
	}
	out, where, changed, err := yamledit.AddIntentEnvironment(data, svc.Kind, svc.Metadata.Namespace, svc.Metadata.Name, env)
	if where == yamledit.WhereAnnotation {
		item = "`" + compactEnvironment(env) + "`"
	}
	switch {
	case err != nil:
		return manual("platbot could not edit " + path + " safely (" + err.Error() + ")"), nil
	case !changed && !written:
		return intentEdit{note: path + " already has " + env.Name + " in the " + where + " of " + svc.Metadata.Name + "."}, nil
	}
	// Unchanged but written by this run (a retry of this step, or the
	// plan before the run): the run's copy already carries the addition.
	return intentEdit{path: path, content: string(out),
		effect: "add " + env.Name + " to the " + where + " of " + svc.Metadata.Name + " (its deployment intent)",
		note: "This pull request also adds " + item + " to the " + where + " of " + svc.Metadata.Name + " in its catalog file, `" + path +
			"`, so that /plat where shows " + env.Name + " once merged."}, nil
}

// compactEnvironment is env as the platbot.dev/environments annotation
// writes it, name[:tier][@region].
func compactEnvironment(env yamledit.IntentEnvironment) string {
	s := env.Name
	if env.Tier != "" {
		s += ":" + env.Tier
	}
	if env.Region != "" {
		s += "@" + env.Region
	}
	return s
}
