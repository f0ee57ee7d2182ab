package placement

import "github.com/platbot/platbot/commands/catalog"

// A service's deployment intent is parsed by the catalog package
// (commands/catalog/intent.go), so that the features reading it (placement
// here, Argo CD's live status in commands/gitopsstatus) read it the same
// way. These names keep placement's vocabulary.

// AnnotationEnvironments is the compact form of the intent
// (catalog.AnnotationEnvironments).
const AnnotationEnvironments = catalog.AnnotationEnvironments

// AnnotationWorkload names the workload with the compact form.
const AnnotationWorkload = catalog.AnnotationWorkload

// annotationNamespace is the Kubernetes namespace of a service.
const annotationNamespace = catalog.AnnotationNamespace

// Intent is what a service declares about its deployment.
type Intent = catalog.Intent

// Environment is one environment a service runs in.
type Environment = catalog.IntentEnvironment

// envNameRe is an environment name.
var envNameRe = catalog.EnvironmentNameRe

// IntentOf reads e's deployment intent (catalog.IntentOf).
func IntentOf(e *catalog.Entity) (*Intent, bool, error) { return catalog.IntentOf(e) }
