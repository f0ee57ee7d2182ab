// Package scorecard grades every service in the catalog against checks
// written in CEL, keeps the grades as history, gates production on them,
// and posts a weekly digest to each team.
//
// The grading engine (checks, phases, the facts document and the grading
// rule) is package grade, which is pure; gathering facts and the providers
// are package facts; the digest's chart is package chart; package webhook
// authenticates GitHub's webhook deliveries and hands the pull requests to
// gate over. This package is the feature on top of them: commands,
// digests, the production gate, waivers, the bench command and the wiring.
// The subpackages never import it.
//
// # Checks
//
// A check (grade.CheckSpec) has an id, a title, a severity (low, medium,
// high, critical), a rule, how to fix it, an optional filter and a phase.
// Checks come from the four built-in ones (grade.DefaultChecksYAML:
// has-readme-runbook, has-on-call, deploys-recently, no-critical-cves),
// from check files or folders (Config.CheckFiles, e.g. a folder kept
// beside the catalog), and inline in the config; a later check replaces an
// earlier one of the same id. Rules are compiled and type-checked once, at
// load: a bad rule is reported with its id and the CEL error (logged, and
// listed by `/plat scorecard checks`) and every other check still runs.
//
// A rule is a CEL expression that must be a bool, over the typed facts
// document:
//
//	entity   the catalog entity: ref, kind, namespace, name, title, type,
//	         lifecycle, owner, system, tags, labels, annotations
//	owner    its owning group: ref, name, found, annotations
//	github   its repository: slug, default_branch, readme, has_readme,
//	         codeowners, workflows, last_commit
//	oncall   service_id, declared_on ("service" or "owner"), confirmed, name, status
//	deploys  last (timestamp; year 1 when none), source ("github", "argocd")
//	vulns    critical, high, medium, low, reports
//	now      the evaluation time
//
// A filter is a CEL bool over entity and owner only; a check whose filter is
// false does not apply to that entity. Only catalog Components are graded.
//
// # Facts and unknowns
//
// Each source but the catalog is gathered by a provider behind an interface
// (RepoProvider, OnCallProvider, DeployProvider, VulnProvider), with a
// timeout and a TTL cache. Adapters over integrations/github,
// integrations/pagerduty and integrations/kube are in package facts
// (NewGitHubRepoProvider, NewPagerDutyProvider, NewDeployProvider,
// NewTrivyProvider), and ExampleFacts serves examples/scorecard/facts.yaml
// for the shell default. When a provider fails, times out or is missing,
// its source is unknown, and a check whose rule reads an unknown source is
// "unknown": shown with the reason, never counted as failed, and never as
// passed either (see the grading rule). Which sources a rule reads is found
// statically from its checked syntax tree.
//
// # The grading rule
//
// Each check a service is evaluated against ends as pass, fail, unknown or
// waived (failing, but covered by an approved, unexpired waiver). Only
// counted checks weigh: those in phase highlighted or required. Each
// counted check that fails costs demerit points by severity:
//
//	low 1 · medium 2 · high 4 · critical 8
//
// Passing, waived, unknown and visible-phase checks cost nothing. The sum
// gives the grade:
//
//	A  0–1   (at most one low-severity gap)
//	B  2–3
//	C  4–7
//	D  8–15
//	F  16 or more
//
// and a failing critical check caps the grade at D whatever the sum. An
// unknown counted check makes the grade incomplete: the letter comes from
// the known checks and is shown as "A (incomplete)" (Result.Incomplete,
// Result.Label); with no counted check known the grade is GradeUnknown, "?".
// The rule depends on nothing but the results, so the same facts always
// give the same grade. With the example facts: checkout-service has no gap (A);
// payments-service lacks a runbook (medium, 2: B); reports-service has no
// on-call, a stale deploy and 2 critical CVEs (4+2+8 = 14: D).
//
// The production gate uses the same rule over required checks only
// (Result.RequiredGrade), and an unknown required check fails it ("unknown:
// <checks>") unless the check is configured `unknownAs: pass`, which counts
// it as passing for the gate while unknown. Any other unknownAs than pass
// or fail keeps the check from loading.
//
// # Phases
//
// A check's phase may change on dates: "visible; highlighted from
// 2027-01-01; required from 2027-03-01". Visible checks are shown but do
// not count; highlighted ones count and appear in digests as gaps; required
// ones also gate production. Dates are days in UTC.
//
// # Gate, waivers, digests
//
// No component may move to lifecycle: production with a grade below B on
// required checks: WebhookHandler receives GitHub pull_request events
// (signed with GITHUB_WEBHOOK_SECRET), reads the pull request's changed
// catalog files and sets the "platbot/scorecard" commit status. Waivers are
// asked for with `/plat scorecard waive` by members of the service's owning
// team (the policy's scaffold action on a resource owned by that team, which
// admins also hold) and decided by platform admins (the admin action) with
// buttons (action prefix "scorecard"). RunDigest (and the cron entries
// Register adds) posts each team's digest, with a PNG chart of the last 8
// weeks, and the org roll-up, at most once per team and week.
package scorecard
