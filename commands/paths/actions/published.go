package actions

import (
	"path"
	"strings"
)

// LineageDir is the folder of a repository where platbot records what
// generated its files (commands/paths/lineage.go); a template's own files
// may not go there.
const LineageDir = ".platbot/lineage"

// Destination is the repository a publishing step writes to: the GitOps
// repository (Owner and Repo empty), or Owner/Repo.
type Destination struct {
	Owner string `json:"owner,omitempty" yaml:"owner,omitempty"`
	Repo  string `json:"repo,omitempty" yaml:"repo,omitempty"`
}

// GitOps reports whether d is the GitOps repository.
func (d Destination) GitOps() bool { return d.Owner == "" && d.Repo == "" }

// String names d for people ("the GitOps repository", "acme/ledger-api").
func (d Destination) String() string {
	if d.GitOps() {
		return "the GitOps repository"
	}
	return d.Owner + "/" + d.Repo
}

// Publishes reports whether action publishes a run's files to a repository
// (publish:github, publish:github:pull-request).
func Publishes(action string) bool { return action == PublishPR || action == PublishGitHub }

// Published is what the publishing step of sc (an action Publishes names,
// its input evaluated) writes: its destination and the files by their path
// in that repository, with the executable ones. place maps a path in the repository (outside
// targetPath: "" is returned) to the path in the run's files that lands
// there, so a caller can add a file to what the step publishes.
func Published(action string, sc *StepContext, githubHost string) (dest Destination, files map[string]string, exec map[string]bool, place func(string) string, err error) {
	withTarget := action == PublishPR
	if u := sc.str("repoUrl"); u != "" || action == PublishGitHub {
		ref, err := parseRepoURL(u, githubHost)
		if err != nil {
			return dest, nil, nil, nil, &StepError{Msg: err.Error(), Hint: "Check the repository you entered."}
		}
		dest = Destination{Owner: ref.Owner, Repo: ref.Repo}
	}
	files, exec, err = sc.sourceFiles(withTarget)
	if err != nil {
		return dest, nil, nil, nil, err
	}
	src := cleanDir(sc.str("sourcePath"))
	target := ""
	if withTarget {
		target = cleanDir(sc.str("targetPath"))
	}
	place = func(p string) string {
		rel := p
		if target != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(p, target+"/"); !ok {
				return ""
			}
		}
		if src == "" {
			return rel
		}
		return path.Join(src, rel)
	}
	return dest, files, exec, place, nil
}

// cleanDir is a sourcePath or targetPath as sourceFiles reads it ("" for
// the whole).
func cleanDir(s string) string {
	s = strings.Trim(strings.TrimPrefix(strings.TrimSpace(s), "./"), "/")
	if s == "." {
		return ""
	}
	return s
}
