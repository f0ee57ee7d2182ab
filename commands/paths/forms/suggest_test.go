package forms

import (
	"reflect"
	"strings"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/commands/catalog"
)

// entities is a Catalog over a fixed list.
type entities []*catalog.Entity

func (es entities) List(kind string) []*catalog.Entity {
	var out []*catalog.Entity
	for _, e := range es {
		if kind == "" || strings.EqualFold(e.Kind, kind) {
			out = append(out, e)
		}
	}
	return out
}

func entity(kind, ns, name, title string, spec map[string]any, annotations map[string]string) *catalog.Entity {
	return &catalog.Entity{Kind: kind, Metadata: catalog.Metadata{Name: name, Namespace: ns, Title: title, Annotations: annotations}, Spec: spec}
}

var testCatalog = entities{
	entity("Component", "", "orders", "Orders API", map[string]any{"type": "service", "lifecycle": "production"}, nil),
	entity("Component", "", "orders-web", "", map[string]any{"type": "website"}, nil),
	entity("Component", "shop", "cart", "", map[string]any{"type": "service"}, nil),
	entity("System", "", "commerce", "Commerce", nil, nil),
	entity("Group", "", "payments", "", map[string]any{"type": "team"}, map[string]string{"github.com/team-slug": "acme/payments"}),
	entity("Group", "", "finance", "", map[string]any{"type": "department"}, nil),
	entity("User", "", "jane", "Jane Doe", nil, nil),
}

// values lists the options' values.
func values(opts []bot.Option) []string {
	var out []string
	for _, o := range opts {
		out = append(out, o.Value)
	}
	return out
}

// EntityPicker suggestions apply ui:options catalogFilter (kind, spec.type,
// metadata.* and {exists: true}, one filter or a list of them) or
// allowedKinds, match what was typed, and come back as full refs labelled
// as Backstage humanizes them.
func TestSuggestAppliesCatalogFilter(t *testing.T) {
	pages := mustParse(t, `
properties:
  service:
    type: string
    ui:field: EntityPicker
    ui:options:
      catalogFilter: {kind: Component, spec.type: service}
  system:
    type: string
    ui:field: EntityPicker
    ui:options:
      allowedKinds: [System]
      defaultKind: System
  owner:
    type: string
    ui:field: EntityPicker
    ui:options:
      catalogFilter:
        - kind: [User]
          metadata.namespace: default
        - kind: [Group]
          metadata.annotations.github.com/team-slug: {exists: true}
  teams:
    type: array
    ui:field: MultiEntityPicker
    ui:options:
      catalogFilter: {kind: group, spec.type: [team, department]}
  anything:
    type: string
    ui:field: EntityPicker
  plain:
    type: string
`)
	for _, c := range []struct {
		field, query string
		want         []string
	}{
		{"service", "", []string{"component:default/orders", "component:shop/cart"}},
		{"service", "ORD", []string{"component:default/orders"}},
		{"service", "api", []string{"component:default/orders"}}, // the title
		{"service", "component:shop/cart", []string{"component:shop/cart"}},
		{"system", "", []string{"system:default/commerce"}},
		{"owner", "", []string{"group:default/payments", "user:default/jane"}},
		{"teams", "", []string{"group:default/finance", "group:default/payments"}},
		// A short reference that names an entity is offered as typed, so a
		// typed value passes the router's check; the run normalises it.
		{"anything", "orders", []string{"orders", "component:default/orders-web"}},
		{"anything", "component:default/orders", []string{"component:default/orders", "component:default/orders-web"}},
	} {
		opts, err := pages.Suggest(testCatalog, c.field, c.query, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := values(opts)
		sortStrings(got)
		want := append([]string(nil), c.want...)
		sortStrings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %q: %v, want %v", c.field, c.query, got, want)
		}
	}
	opts, _ := pages.Suggest(testCatalog, "anything", "component:default/orders", nil)
	if opts[0].Value != "component:default/orders" {
		t.Errorf("the exact ref is not first: %v", opts)
	}
	opts, _ = pages.Suggest(testCatalog, "service", "", nil)
	labels := map[string]string{}
	for _, o := range opts {
		labels[o.Value] = o.Label
	}
	if labels["component:default/orders"] != "component:orders (Orders API)" || labels["component:shop/cart"] != "component:shop/cart" {
		t.Errorf("labels %v", labels)
	}
	opts, _ = pages.Suggest(testCatalog, "system", "", nil)
	if opts[0].Label != "commerce (Commerce)" {
		t.Errorf("defaultKind label %q", opts[0].Label)
	}
	if _, err := pages.Suggest(testCatalog, "plain", "", nil); err == nil {
		t.Error("a text field has suggestions")
	}

	f := pages.Form("f", "t", "", nil)
	if f.Field("service").Kind != bot.FieldExternal || f.Field("teams").Kind != bot.FieldMultiExternal {
		t.Errorf("fields %+v", f.Fields)
	}
	// A typed ref is completed with the field's defaults, as Backstage does.
	params := pages.Coerce(bot.Values{"system": {"commerce"}, "teams": {"payments", "group:default/finance"}})
	if params["system"] != "system:default/commerce" || !reflect.DeepEqual(params["teams"], []any{"group:default/payments", "group:default/finance"}) {
		t.Errorf("parameters %#v", params)
	}
}
