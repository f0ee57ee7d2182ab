package grade

// DefaultChecksYAML are the four checks platbot ships with. They are
// required: they count towards the grade and gate production.
const DefaultChecksYAML = `checks:
  - id: has-readme-runbook
    title: README has a runbook
    severity: medium
    phase: required
    rule: github.readme.contains("## Runbook")
    howToFix: Add a "## Runbook" section to the repository's README.md (how to deploy, roll back, and what to check when it pages).
    set: catalog-conventions
  - id: has-on-call
    title: Owner has a PagerDuty on-call
    severity: high
    phase: required
    rule: oncall.confirmed
    howToFix: Annotate the service or its owning group with pagerduty.com/service-id naming an active PagerDuty service.
  - id: deploys-recently
    title: Deployed in the last 30 days
    severity: medium
    phase: required
    rule: deploys.last >= now - duration("720h")
    howToFix: Ship to production at least monthly (GitHub deployment or Argo CD sync), so the pipeline is known to work.
  - id: no-critical-cves
    title: No critical vulnerabilities
    severity: critical
    phase: required
    rule: vulns.critical == 0
    howToFix: Upgrade the images or dependencies the Trivy Operator's VulnerabilityReports flag as critical.
`

// ConventionsSet is the set of the catalog conventions checks.
const ConventionsSet = "catalog-conventions"

// ConventionChecksYAML are the catalog conventions every component is
// expected to meet, shipped as the set "catalog-conventions" together with
// has-readme-runbook above. They are visible: the weekly digest lists each
// team's gaps in them (before the quarterly hygiene report does), but they
// do not count towards the grade until an admin raises their phase (a
// check of the same id in scorecard.checks or checkFiles replaces one).
// They read only the catalog, so they are never unknown.
const ConventionChecksYAML = `checks:
  - id: owner-resolves
    title: Owner is a group or user in the catalog
    severity: high
    phase: visible
    set: catalog-conventions
    rule: owner.found
    howToFix: Set spec.owner to a Group (or User) that exists in the catalog, e.g. group:default/payments.
  - id: lifecycle-set
    title: Lifecycle is set
    severity: low
    phase: visible
    set: catalog-conventions
    rule: entity.lifecycle != ""
    howToFix: Set spec.lifecycle (experimental, production or deprecated) in the entity's catalog-info.yaml.
  - id: system-set
    title: Belongs to a system
    severity: low
    phase: visible
    set: catalog-conventions
    rule: entity.system != ""
    howToFix: Set spec.system to the System the component is part of.
  - id: cost-tag
    title: Has a FinOps cost tag
    severity: medium
    phase: visible
    set: catalog-conventions
    rule: '"finops/cost-tag" in entity.annotations && entity.annotations["finops/cost-tag"] != ""'
    howToFix: Add the finops/cost-tag annotation, so its cloud cost is allocated to the team.
  - id: on-call-annotation
    title: Names its on-call
    severity: medium
    phase: visible
    set: catalog-conventions
    rule: '"pagerduty.com/service-id" in entity.annotations || "pagerduty.com/service-id" in owner.annotations'
    howToFix: Annotate the component or its owning group with pagerduty.com/service-id.
`

// ConventionChecks returns the catalog conventions checks (ConventionChecksYAML).
func ConventionChecks() []CheckSpec { return builtIn(ConventionChecksYAML) }

// DefaultChecks returns the built-in checks. (A check that failed to decode
// would be reported by CompileChecks; tests keep the YAML above valid.)
func DefaultChecks() []CheckSpec { return builtIn(DefaultChecksYAML) }

func builtIn(src string) []CheckSpec {
	specs, errs := ParseChecks([]byte(src))
	for _, e := range errs {
		specs = append(specs, CheckSpec{ID: e.ID, decodeErr: e.Err})
	}
	for i := range specs {
		specs[i].Where = "built-in"
	}
	return specs
}
