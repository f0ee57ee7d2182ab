package catalog

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// decodeBoth decodes a document both ways: directly (ok reports whether
// decodeDirect took it) and with Node.Decode (nil when it fails).
func decodeBoth(t *testing.T, in interner, doc document) (direct *Entity, ok bool, viaYAML *Entity) {
	t.Helper()
	var d Entity
	ok = in.decodeDirect(doc.root, &d)
	var y Entity
	if err := doc.root.Decode(&y); err == nil {
		y.Relations = nil
		y.Spec = normalizeMap(y.Spec)
		viaYAML = &y
	}
	return &d, ok, viaYAML
}

// TestDecodeDirectMatchesNodeDecode holds the direct decoding to
// yaml.v3's: over every catalog file in the repository and a generated
// catalog, each document it takes decodes to the entity Node.Decode
// builds, and the usual shapes are all taken.
func TestDecodeDirectMatchesNodeDecode(t *testing.T) {
	var files []string
	for _, root := range []string{"testdata", "../../examples"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	gen := generate(t, 500)
	genFiles, _ := filepath.Glob(filepath.Join(gen, "*.yaml"))
	files = append(files, genFiles...)

	taken, total, genTaken, genTotal := 0, 0, 0, 0
	in := interner{}
	var firstOwner, firstKey *byte // spec.owner "team-0" and the key "owner", interned
	shared := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range parseDocuments(data) {
			if doc.err != nil || doc.root.Kind != 4 /* yaml.MappingNode */ {
				continue
			}
			direct, ok, viaYAML := decodeBoth(t, in, doc)
			total++
			if strings.HasPrefix(f, gen) {
				genTotal++
			}
			if !ok {
				continue
			}
			taken++
			if strings.HasPrefix(f, gen) {
				genTaken++
			}
			if viaYAML == nil {
				t.Errorf("%s:%d: decoded directly, but Node.Decode fails", f, doc.line)
				continue
			}
			if !reflect.DeepEqual(direct, viaYAML) {
				t.Errorf("%s:%d: direct decoding differs:\n direct %#v\n yaml   %#v", f, doc.line, direct, viaYAML)
			}
			if owner, _ := direct.Spec["owner"].(string); owner == "team-0" {
				for k := range direct.Spec {
					if k != "owner" {
						continue
					}
					if firstOwner == nil {
						firstOwner, firstKey = unsafe.StringData(owner), unsafe.StringData(k)
					} else if unsafe.StringData(owner) == firstOwner && unsafe.StringData(k) == firstKey {
						shared++
					}
				}
			}
		}
	}
	if shared == 0 {
		t.Error("the entities owned by team-0 hold copies of their owner and its key, not one interned string")
	}
	if genTaken != genTotal || genTotal == 0 {
		t.Errorf("generated catalog: %d of %d documents decoded directly", genTaken, genTotal)
	}
	// The example and Backstage sample catalogs are plain entities: all
	// but a handful (templates with numbers or anchors) are taken.
	if taken < total*9/10 {
		t.Errorf("%d of %d documents decoded directly", taken, total)
	}
	t.Logf("%d of %d documents decoded directly", taken, total)
}

// TestDecodeDirectGivesUp checks the documents decodeDirect leaves to
// Node.Decode (which reports them or reads them its own way), and the
// scalars it resolves through Node.Decode.
func TestDecodeDirectGivesUp(t *testing.T) {
	head := "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
	for _, tc := range []struct {
		name, doc string
		taken     bool
	}{
		{"plain", head + "metadata: {name: a, tags: [x]}\nspec: {type: service, owner: t}\n", true},
		{"numbers in spec", head + "metadata: {name: a}\nspec: {replicas: 3, ratio: 0.5, on: true, none: ~, when: 2024-01-02, big: 99999999999999999999}\n", true},
		{"nested spec", head + "metadata: {name: a}\nspec: {profile: {email: a@b.c, n: [1, two, {x: y}]}, empty: {}, list: []}\n", true},
		{"unknown top-level field", head + "metadata: {name: a}\nstatus: {x: [1, &y z, *y]}\nspec: {}\n", true},
		{"empty annotations", head + "metadata: {name: a, annotations: {}, labels: {}}\nspec: {}\n", true},
		{"repeated key", head + "metadata: {name: a, name: b}\nspec: {}\n", false},
		{"repeated spec key", head + "metadata: {name: a}\nspec: {owner: a, owner: b}\n", false},
		{"number as name", head + "metadata: {name: 42}\nspec: {}\n", false},
		{"null name", head + "metadata: {name: }\nspec: {}\n", false},
		{"null metadata", head + "metadata:\nspec: {}\n", false},
		{"list as kind", "apiVersion: backstage.io/v1alpha1\nkind: [Component]\nmetadata: {name: a}\n", false},
		{"alias", head + "metadata: {name: &n a, title: *n}\nspec: {}\n", false},
		{"alias in spec", head + "metadata: {name: a}\nx: &o t\nspec: {owner: *o}\n", false},
		{"merge key", head + "metadata: {name: a}\nspec: {<<: {owner: t}}\n", false},
		{"tagged string", head + "metadata: {name: !!str 42}\nspec: {}\n", false},
		{"tagged mapping", head + "metadata: !!map {name: a}\nspec: {}\n", false},
		{"number key in spec", head + "metadata: {name: a}\nspec: {1: x}\n", false},
		{"relations", head + "metadata: {name: a}\nspec: {}\nrelations: [{type: x, targetRef: y}]\n", false},
		{"annotation not a string", head + "metadata: {name: a, annotations: {x: 1}}\nspec: {}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs := parseDocuments([]byte(tc.doc))
			if len(docs) != 1 || docs[0].err != nil {
				t.Fatalf("parse: %+v", docs)
			}
			direct, ok, viaYAML := decodeBoth(t, interner{}, docs[0])
			if ok != tc.taken {
				t.Fatalf("decoded directly = %v, want %v", ok, tc.taken)
			}
			if ok && !reflect.DeepEqual(direct, viaYAML) {
				t.Errorf("direct decoding differs:\n direct %#v\n yaml   %#v", direct, viaYAML)
			}
			// decodeEntity gives what Node.Decode gives either way.
			e, errs := decodeEntity(docs[0].root, interner{})
			if viaYAML != nil && (len(errs) > 0 || !reflect.DeepEqual(e, viaYAML)) {
				t.Errorf("decodeEntity = %#v, %v; want %#v", e, errs, viaYAML)
			}
		})
	}
}

// FuzzDecodeDirect holds decodeDirect to Node.Decode on arbitrary
// documents: whatever it decodes, Node.Decode decodes the same way.
func FuzzDecodeDirect(f *testing.F) {
	f.Add([]byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n  tags: [x, y]\n  annotations: {k: v}\n  links: [{url: 'https://x', title: T}]\nspec:\n  owner: t\n  n: [1, true, ~, {a: b}]\n"))
	f.Add([]byte("kind: User\nmetadata: {name: u, labels: {a: b}}\nspec: {profile: {email: e@x}, memberOf: [g]}\n"))
	f.Add([]byte("metadata: {name: a, name: b}\nspec: {<<: {a: 1}, x: &y 1, z: *y}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, doc := range decodeDocuments(normalizeBreaks(data)) {
			if doc.err != nil || doc.root.Kind != 4 /* yaml.MappingNode */ {
				continue
			}
			direct, ok, viaYAML := decodeBoth(t, interner{}, doc)
			if !ok {
				continue
			}
			if viaYAML == nil {
				t.Fatalf("decoded directly, but Node.Decode fails")
			}
			// (%#v as well: a .nan in the spec is not DeepEqual to itself.)
			if !reflect.DeepEqual(direct, viaYAML) && fmt.Sprintf("%#v", direct) != fmt.Sprintf("%#v", viaYAML) {
				t.Fatalf("direct decoding differs:\n direct %#v\n yaml   %#v", direct, viaYAML)
			}
		}
	})
}
