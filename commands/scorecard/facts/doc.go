// Package facts gathers the facts a scorecard check reads: one provider
// per source (RepoProvider, OnCallProvider, DeployProvider, VulnProvider),
// the adapters over integrations/github, integrations/pagerduty and
// integrations/kube, ExampleFacts for examples/scorecard/facts.yaml, and
// the Gatherer that runs them with a timeout and a TTL cache and turns
// failures into unknown sources. It imports grade for the facts types and
// never the scorecard feature.
package facts
