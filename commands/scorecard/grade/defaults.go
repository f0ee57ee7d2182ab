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

// DefaultChecks returns the built-in checks. (A check that failed to decode
// would be reported by CompileChecks; tests keep the YAML above valid.)
func DefaultChecks() []CheckSpec {
	specs, errs := ParseChecks([]byte(DefaultChecksYAML))
	for _, e := range errs {
		specs = append(specs, CheckSpec{ID: e.ID, decodeErr: e.Err})
	}
	for i := range specs {
		specs[i].Where = "built-in"
	}
	return specs
}
