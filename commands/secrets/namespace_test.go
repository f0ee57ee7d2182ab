package secrets

import (
	"testing"

	"github.com/platbot/platbot/commands/catalog"
)

// The ExternalSecret lands in the namespace the catalog entity names with
// backstage.io/kubernetes-namespace (where its Deployment runs), and only
// without it in namespace_pattern's.
func TestExternalSecretNamespaceFromAnnotation(t *testing.T) {
	e := newEnv(t, envOptions{})
	svc := entity(catalog.KindComponent, "payments-service", "group:default/payments", nil)
	svc.Metadata.Annotations = map[string]string{catalog.AnnotationNamespace: "payments"}
	e.cat.entities = append(e.cat.entities, svc)

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
	e.sec.cfg.NamespacePattern = "{team}-{service}-{env}"
	tg, err := e.sec.targetOf(svc, "staging", "STRIPE_API_KEY", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.sec.namespaceOf(tg); got != "payments" {
		t.Errorf("with a custom pattern: %q, want payments", got)
	}
	svc.Metadata.Annotations = nil
	if got := e.sec.namespaceOf(tg); got != "payments-payments-service-staging" {
		t.Errorf("without the annotation: %q, want the pattern's payments-payments-service-staging", got)
	}
}
