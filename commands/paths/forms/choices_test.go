package forms

import (
	"fmt"
	"testing"
)

// A select naming choices offers the enum values the choices allow, in
// the enum's order, with a default among them; without the key, or when
// the choices allow none of the enum, it offers the whole enum.
func TestChoicesNarrowASelect(t *testing.T) {
	ps := mustParse(t, `
- title: Region
  properties:
    region:
      type: string
      enum: [us-east-1, us-west-2, eu-west-1, ap-southeast-1]
      enumNames: [US East, US West, EU West, Asia Pacific]
      default: us-west-2
      ui:options:
        choices: clusterRegions
    zone:
      type: string
      enum: [a, b]
`)
	offered := func(c map[string][]string) (string, string, string) {
		f := ps.Build("f", "t", "", Env{Choices: c})
		return fmt.Sprint(f.Field("region").Options), f.Field("region").Default, fmt.Sprint(f.Field("zone").Options)
	}
	opts, def, zone := offered(map[string][]string{"clusterRegions": {"eu-west-1", "us-east-1"}, "other": {"a"}})
	if opts != "[{us-east-1 US East} {eu-west-1 EU West}]" || def != "" || zone != "[{a a} {b b}]" {
		t.Errorf("narrowed: %s (default %q), zone %s", opts, def, zone)
	}
	if opts, def, _ := offered(map[string][]string{"clusterRegions": {"us-west-2"}}); opts != "[{us-west-2 US West}]" || def != "us-west-2" {
		t.Errorf("one region: %s (default %q)", opts, def)
	}
	all := "[{us-east-1 US East} {us-west-2 US West} {eu-west-1 EU West} {ap-southeast-1 Asia Pacific}]"
	for _, c := range []map[string][]string{nil, {"clusterRegions": {"sa-east-1"}}} {
		if opts, def, _ := offered(c); opts != all || def != "us-west-2" {
			t.Errorf("choices %v: %s (default %q)", c, opts, def)
		}
	}
}
