package yamledit

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// onlyAdded checks that out is in with lines added and nothing else
// changed: every line of in appears in out, in order and byte for byte.
func onlyAdded(t *testing.T, in, out []byte, added int) {
	t.Helper()
	il := strings.SplitAfter(string(in), "\n")
	ol := strings.SplitAfter(string(out), "\n")
	if len(ol)-len(il) != added {
		t.Fatalf("%d lines added, want %d:\n%s", len(ol)-len(il), added, out)
	}
	j := 0
	for _, l := range ol {
		if j < len(il) && l == il[j] {
			j++
		}
	}
	if j != len(il) {
		t.Fatalf("line %d of the input (%q) is not in the output in order:\n%s", j+1, il[j], out)
	}
}

var apiKey = SecretEnv{Container: "orders", Name: "API_KEY", SecretName: "orders-api-key", SecretKey: "API_KEY"}

func TestAddSecretEnvGolden(t *testing.T) {
	in, err := os.ReadFile("testdata/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, res, err := AddSecretEnv(in, apiKey)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed || res.Exists || res.Kind != "Deployment" || res.Workload != "orders" || res.Container != "orders" {
		t.Fatalf("result = %+v", res)
	}
	onlyAdded(t, in, out, 5)
	golden(t, "deployment.env.golden.yaml", out)

	// Adding it again changes nothing and says it exists.
	again, res, err := AddSecretEnv(out, apiKey)
	if err != nil || res.Changed || !res.Exists || !bytes.Equal(again, out) {
		t.Fatalf("second add: %+v, %v", res, err)
	}
	// An existing plain variable of the same name is left alone too.
	same, res, err := AddSecretEnv(in, SecretEnv{Container: "orders", Name: "LOG_LEVEL", SecretName: "x", SecretKey: "LOG_LEVEL"})
	if err != nil || !res.Exists || !bytes.Equal(same, in) {
		t.Fatalf("existing LOG_LEVEL: %+v, %v", res, err)
	}

	// The checksum annotation joins the existing annotations, and is then
	// replaced in place.
	ann, changed, err := SetPodTemplateAnnotation(out, "platbot.io/secrets-checksum", "0123abcd")
	if err != nil || !changed {
		t.Fatalf("annotate: %v %v", changed, err)
	}
	onlyAdded(t, out, ann, 1)
	golden(t, "deployment.annotated.golden.yaml", ann)
	bumped, changed, err := SetPodTemplateAnnotation(ann, "platbot.io/secrets-checksum", "99999999")
	if err != nil || !changed {
		t.Fatalf("bump: %v %v", changed, err)
	}
	if want := strings.Replace(string(ann), `"0123abcd"`, `"99999999"`, 1); string(bumped) != want {
		t.Fatalf("bump changed more than the value:\n%s", bumped)
	}
	if _, changed, _ := SetPodTemplateAnnotation(bumped, "platbot.io/secrets-checksum", "99999999"); changed {
		t.Fatal("setting the same value reported a change")
	}
}

func TestAddSecretEnvShapes(t *testing.T) {
	cases := []struct {
		name, in, want string
		e              SecretEnv
	}{{
		name: "no env list",
		in: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: a
spec:
  template:
    spec:
      containers:
      - name: a
        image: a   # pinned
        ports:
        - containerPort: 80

      - name: b
        image: b
`,
		e: SecretEnv{Container: "a", Name: "TOKEN", SecretName: "a-token", SecretKey: "TOKEN"},
		want: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: a
spec:
  template:
    spec:
      containers:
      - name: a
        image: a   # pinned
        ports:
        - containerPort: 80
        env:
        - name: TOKEN
          valueFrom:
            secretKeyRef:
              name: a-token
              key: TOKEN

      - name: b
        image: b
`,
	}, {
		name: "empty env list, four-space indent, no final newline",
		in:   "kind: StatefulSet\nmetadata:\n    name: s\nspec:\n    template:\n        spec:\n            containers:\n                - name: s\n                  env: []   # none yet\n                  image: s",
		e:    SecretEnv{Name: "ON", SecretName: "s-on", SecretKey: "ON"},
		want: "kind: StatefulSet\nmetadata:\n    name: s\nspec:\n    template:\n        spec:\n            containers:\n                - name: s\n                  env:   # none yet\n" +
			"                      - name: \"ON\"\n                        valueFrom:\n                            secretKeyRef:\n                                name: s-on\n                                key: \"ON\"\n                  image: s",
	}, {
		name: "windows line endings, last in file",
		in:   "kind: Deployment\r\nmetadata:\r\n  name: w\r\nspec:\r\n  template:\r\n    spec:\r\n      containers:\r\n        - name: w\r\n          env:\r\n            - name: A\r\n              value: \"1\"\r\n",
		e:    SecretEnv{Container: "missing-so-the-only-one", Name: "B", SecretName: "w-b", SecretKey: "B"},
		want: "kind: Deployment\r\nmetadata:\r\n  name: w\r\nspec:\r\n  template:\r\n    spec:\r\n      containers:\r\n        - name: w\r\n          env:\r\n            - name: A\r\n              value: \"1\"\r\n" +
			"            - name: B\r\n              valueFrom:\r\n                secretKeyRef:\r\n                  name: w-b\r\n                  key: B\r\n",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, res, err := AddSecretEnv([]byte(c.in), c.e)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Changed {
				t.Fatalf("not changed: %+v", res)
			}
			if string(out) != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", out, c.want)
			}
		})
	}
}

func TestAddSecretEnvRefuses(t *testing.T) {
	twoContainers := "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n        - name: b\n"
	cases := []struct {
		name, in string
		e        SecretEnv
		want     string
		unsup    bool
	}{
		{"not a workload", "kind: Service\nspec: {}\n", apiKey, "no workload", false},
		{"broken yaml", "kind: [Deployment\n", apiKey, "parse", false},
		{"which container", twoContainers, SecretEnv{Name: "X", SecretName: "s", SecretKey: "X"}, "say which one", false},
		{"no such container", twoContainers, SecretEnv{Container: "c", Name: "X", SecretName: "s", SecretKey: "X"}, `no container named "c"`, false},
		{"flow env", "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          env: [{name: A, value: b}]\n", apiKey, "not a block list", true},
		{"flow containers", "kind: Deployment\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n", apiKey, "no block list of containers", true},
		{"incomplete entry", "kind: Deployment\n", SecretEnv{Name: "X"}, "needs a name", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := AddSecretEnv([]byte(c.in), c.e)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
			if c.unsup != errors.Is(err, ErrUnsupported) {
				t.Fatalf("errors.Is(err, ErrUnsupported) = %v, want %v", !c.unsup, c.unsup)
			}
		})
	}
}

func TestSetPodTemplateAnnotationShapes(t *testing.T) {
	cases := []struct{ name, in, want string }{{
		name: "no pod metadata",
		in:   "kind: Deployment\nspec:\n  template:\n    # the pod\n    spec:\n      containers:\n        - name: a\n",
		want: "kind: Deployment\nspec:\n  template:\n    # the pod\n    metadata:\n      annotations:\n        platbot.io/secrets-checksum: \"42\"\n    spec:\n      containers:\n        - name: a\n",
	}, {
		name: "metadata without annotations",
		in:   "kind: Deployment\nspec:\n  template:\n    metadata:\n      labels:\n        app: a   # selector\n    spec:\n      containers:\n        - name: a\n",
		want: "kind: Deployment\nspec:\n  template:\n    metadata:\n      labels:\n        app: a   # selector\n      annotations:\n        platbot.io/secrets-checksum: \"42\"\n    spec:\n      containers:\n        - name: a\n",
	}, {
		name: "empty annotations",
		in:   "kind: Deployment\nspec:\n  template:\n    metadata:\n      annotations: {}\n    spec:\n      containers:\n        - name: a\n",
		want: "kind: Deployment\nspec:\n  template:\n    metadata:\n      annotations:\n        platbot.io/secrets-checksum: \"42\"\n    spec:\n      containers:\n        - name: a\n",
	}, {
		name: "existing value, quoted, with a comment",
		in:   "kind: Deployment\nspec:\n  template:\n    metadata:\n      annotations:\n        platbot.io/secrets-checksum: 'old' # bumped by platbot\n    spec:\n      containers:\n        - name: a\n",
		want: "kind: Deployment\nspec:\n  template:\n    metadata:\n      annotations:\n        platbot.io/secrets-checksum: \"42\" # bumped by platbot\n    spec:\n      containers:\n        - name: a\n",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, changed, err := SetPodTemplateAnnotation([]byte(c.in), "platbot.io/secrets-checksum", "42")
			if err != nil || !changed {
				t.Fatalf("changed %v, err %v", changed, err)
			}
			if string(out) != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", out, c.want)
			}
		})
	}
	_, _, err := SetPodTemplateAnnotation([]byte("kind: Deployment\nspec:\n  template:\n    metadata:\n      annotations: {a: b}\n    spec:\n      containers:\n        - name: a\n"), "k", "v")
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("flow annotations: err = %v, want ErrUnsupported", err)
	}
}

func TestScalar(t *testing.T) {
	for in, want := range map[string]string{
		"API_KEY": "API_KEY", "orders-api-key": "orders-api-key", "Y": `"Y"`, "no": `"no"`,
		"123": `"123"`, "a b": `"a b"`, "": `""`, "x: y": `"x: y"`,
	} {
		if got := scalar(in); got != want {
			t.Errorf("scalar(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestScalarEnd(t *testing.T) {
	for rest, want := range map[string]int{
		"production":           10,
		"production  # keep\n": 10,
		"production \t":        10,
		"a#b # c":              3,
		`"x # y" # c`:          7,
		`"a \" b"  `:           8,
		`'it''s' # c`:          7,
		`'open`:                -1,
		`"open \"`:             -1,
		"":                     0,
	} {
		if got := ScalarEnd(rest); got != want {
			t.Errorf("ScalarEnd(%q) = %d, want %d", rest, got, want)
		}
	}
}
