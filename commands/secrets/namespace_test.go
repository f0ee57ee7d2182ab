package secrets

import (
	"testing"

	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
)

// The ExternalSecret lands in the namespace the catalog entity names with
// backstage.io/kubernetes-namespace (where its Deployment runs), and only
// without it in namespace_pattern's.
func TestExternalSecretNamespaceFromAnnotation(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.cat.AddEntities(catalogtest.Component("payments-service", "group:default/payments", catalog.AnnotationNamespace+"=payments"))

	for _, tc := range []struct {
		service, env, want string
	}{
		{"payments-service", "dev", "payments"},
		{"payments-service", "prod", "payments"},
		{"orders-service", "dev", "payments-dev"}, // no annotation: the pattern
	} {
		ent, ok := e.cat.Get(tc.service)
		if !ok {
			t.Fatalf("no %s in the catalog", tc.service)
		}
		tg, err := e.sec.targetOf(ent, tc.env, "STRIPE_API_KEY", true)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.sec.namespaceOf(tg); got != tc.want {
			t.Errorf("namespaceOf(%s, %s) = %q, want %q", tc.service, tc.env, got, tc.want)
		}
		text, err := e.sec.externalSecret(tg, &Change{ID: "c1", Op: OpAdd, Target: tg})
		if err != nil {
			t.Fatal(err)
		}
		if es := parseExternalSecret(t, text); es.Metadata.Namespace != tc.want {
			t.Errorf("the ExternalSecret of %s in %s is in namespace %q, want %q:\n%s", tc.service, tc.env, es.Metadata.Namespace, tc.want, text)
		}
	}

	// A custom pattern still gives way to the annotation.
	svc, _ := e.cat.Get("payments-service")
	e.sec.cfg.NamespacePattern = "{team}-{service}-{env}"
	tg, err := e.sec.targetOf(svc, "staging", "STRIPE_API_KEY", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.sec.namespaceOf(tg); got != "payments" {
		t.Errorf("with a custom pattern: %q, want payments", got)
	}
	// The annotation is taken away in the catalog.
	e.cat.Set(catalogtest.YAML(t, append(catalogEntities(), catalogtest.Component("payments-service", "group:default/payments"))...))
	if got := e.sec.namespaceOf(tg); got != "payments-payments-service-staging" {
		t.Errorf("without the annotation: %q, want the pattern's payments-payments-service-staging", got)
	}
}
