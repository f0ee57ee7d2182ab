package catalogtest_test

import (
	"context"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
	"github.com/platbot/platbot/commands/catalog/catalogtest"
)

func TestCatalog(t *testing.T) {
	c := catalogtest.FromEntities(t,
		catalogtest.Component("checkout", "shop", catalog.AnnotationCostTag+"=service=checkout"),
		catalogtest.Group("shop", catalog.AnnotationSlackChannel+"=#team-shop"),
		catalogtest.User("ada", "U0ADA", "shop"),
	)
	e, ok := c.Get("checkout")
	if !ok || e.Ref() != "component:default/checkout" || e.Metadata.Annotations[catalog.AnnotationCostTag] != "service=checkout" {
		t.Fatalf("Get(checkout) = %+v, %v", e, ok)
	}
	if g, ok := c.Lookup("shop", catalog.KindGroup); !ok || g.Metadata.Annotations[catalog.AnnotationSlackChannel] != "#team-shop" {
		t.Fatalf("Lookup(shop) = %+v, %v", g, ok)
	}
	if owned := c.OwnedBy("shop"); len(owned) != 1 || owned[0].Metadata.Name != "checkout" {
		t.Fatalf("OwnedBy(shop) = %v", owned)
	}
	id, err := c.Identify(context.Background(), bot.User{ID: "U0ADA"})
	if err != nil || id.UserRef != "user:default/ada" || len(id.Groups) != 1 || id.Groups[0] != "group:default/shop" {
		t.Fatalf("Identify(U0ADA) = %+v, %v", id, err)
	}

	c.AddEntities(catalogtest.Component("search", "shop"), catalogtest.System("store", "shop"))
	if _, ok := c.Get("search"); !ok || len(c.OwnedBy("shop")) != 3 {
		t.Fatalf("after AddEntities: search %v, owned %d", ok, len(c.OwnedBy("shop")))
	}
	c.Set(catalogtest.YAML(t, catalogtest.Group("shop")),
		"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: cart\nspec:\n  type: service\n  lifecycle: production\n  owner: shop\n")
	if _, ok := c.Get("cart"); !ok {
		t.Fatal("Set: cart missing")
	}
	if e, ok := c.Get("checkout"); ok && !e.Orphan {
		t.Fatal("Set: checkout still live")
	}
	if n := c.Len(); n != 2 {
		t.Fatalf("Len after Set = %d, want 2", n)
	}
}

// TestLenient: with Lenient, a catalog with bad documents loads and reports
// them.
func TestLenient(t *testing.T) {
	c := catalogtest.NewWith(t, catalogtest.Options{Lenient: true},
		"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: Bad Name!\nspec:\n  owner: shop\n")
	var errs int
	for _, p := range c.Errors() {
		if p.Severity == catalog.SeverityError {
			errs++
		}
	}
	if errs == 0 {
		t.Fatalf("no error for an invalid entity: %+v", c.Errors())
	}
}
