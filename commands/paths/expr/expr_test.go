package expr

import (
	"reflect"
	"strings"
	"testing"
)

func TestExpressions(t *testing.T) {
	scope := Scope{
		"parameters": map[string]any{
			"name": "orders-db", "size": "small", "storageGB": int64(20), "ha": true, "empty": "",
			"envs": []any{"dev", "prod"}, "owner": "group:default/payments", "repoUrl": "github.com?owner=acme&repo=svc",
		},
		"steps": map[string]any{"publish": map[string]any{"output": map[string]any{"remoteUrl": "https://x/pull/1"}}},
		"each":  map[string]any{"value": "dev", "key": int64(0)},
	}
	cases := []struct {
		in   string
		want any
	}{
		{"${{ parameters.name }}", "orders-db"},
		{"${{parameters.storageGB}}", int64(20)},
		{"${{ parameters.ha }}", true},
		{"${{ parameters.envs }}", []any{"dev", "prod"}},
		{"db-${{ parameters.name }}-${{ each.value }}", "db-orders-db-dev"},
		{"${{ parameters.envs | join(', ') }}", "dev, prod"},
		{"${{ parameters['name'] | upper }}", "ORDERS-DB"},
		{"${{ parameters.envs[1] }}", "prod"},
		{"${{ steps.publish.output.remoteUrl }}", "https://x/pull/1"},
		{"${{ steps.nope.output.x }}", nil},
		{"${{ 'on' if parameters.ha else 'off' }}", "on"},
		{"${{ parameters.empty if parameters.empty }}", nil},
		{"${{ parameters.missing | default('x') }}", "x"},
		{"${{ parameters.owner | parseEntityRef | pick('name') }}", "payments"},
		{"${{ (parameters.owner | parseEntityRef | pick('name')) ~ '-' ~ each.value }}", "payments-dev"},
		{"${{ parameters.repoUrl | projectSlug }}", "acme/svc"},
		{"${{ parameters.size == 'small' and not parameters.empty }}", true},
		{"${{ parameters.storageGB >= 20 }}", true},
		{"${{ 'prod' in parameters.envs }}", true},
		{"${{ [parameters.name] if parameters.name }}", []any{"orders-db"}},
		{"${{ parameters.envs | length }}", int64(2)},
		{"${{ parameters.name | dump }}", `"orders-db"`},
		{"${{ parameters.name | replace('-', '_') }}", "orders_db"},
		{"plain text", "plain text"},
	}
	for _, c := range cases {
		got, err := Eval(c.in, scope)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestExpressionErrors(t *testing.T) {
	for _, in := range []string{
		"${{ parameters.name | nosuchfilter }}",
		"${{ parameters.name ",
		"${{ 'unterminated }}",
		"${{ parameters.name | replace('a') }}",
		"${{ a b }}",
	} {
		if _, err := Eval(in, Scope{}); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}

func TestExprRefs(t *testing.T) {
	rs, err := Refs(map[string]any{
		"a": "${{ parameters.x | default(parameters.y) }}",
		"b": []any{"${{ steps.s1.output.url if each.value else user.ref }}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rs, " ")
	for _, want := range []string{"parameters.x", "parameters.y", "steps.s1.output.url", "each.value", "user.ref"} {
		if !strings.Contains(got, want) {
			t.Errorf("refs %q lack %s", got, want)
		}
	}
}

func TestRenderEscaped(t *testing.T) {
	tx, err := ParseText("**${{ parameters.name }}** and ${{ parameters.x | upper }}")
	if err != nil {
		t.Fatal(err)
	}
	scope := Scope{"parameters": map[string]any{"name": "*a*", "x": "b"}}
	got, err := tx.RenderEscaped(scope, func(v string) string { return "<" + v + ">" })
	if err != nil {
		t.Fatal(err)
	}
	if want := "**<*a*>** and <B>"; got != want {
		t.Errorf("RenderEscaped = %q, want %q", got, want)
	}
	plain, err := tx.RenderEscaped(scope, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "***a*** and B"; plain != want {
		t.Errorf("RenderEscaped(nil) = %q, want %q", plain, want)
	}
	bad, err := ParseText("${{ parameters.name | replace(1) }}")
	if err == nil {
		if _, err = bad.RenderEscaped(scope, nil); err == nil {
			t.Error("a filter with too few arguments renders without error")
		}
	}
}
