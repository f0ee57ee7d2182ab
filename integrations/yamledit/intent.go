package yamledit

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	yamlv3 "go.yaml.in/yaml/v3"
)

// AnnotationEnvironments is the compact form of a service's deployment
// intent in its catalog entity (commands/catalog/intent.go): environments
// separated by commas, each name[:tier][@region].
const AnnotationEnvironments = "platbot.dev/environments"

// IntentEnvironment is one environment of a service's deployment intent.
type IntentEnvironment struct {
	Name, Tier, Region string
}

// compact is e in the annotation's form, name[:tier][@region].
func (e IntentEnvironment) compact() string {
	s := e.Name
	if e.Tier != "" {
		s += ":" + e.Tier
	}
	if e.Region != "" {
		s += "@" + e.Region
	}
	return s
}

// intentWordRe is what a name, tier or region may be: it must read back the
// same from a YAML scalar and from the annotation's compact form.
var intentWordRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ErrNoIntent is wrapped when the entity declares no deployment intent:
// adding one environment would make it the only one declared.
var ErrNoIntent = errors.New("the entity declares no deployment intent")

// Intent places.
const (
	WhereSpec       = "spec.deployment.environments"
	WhereAnnotation = "annotation " + AnnotationEnvironments
)

// AddIntentEnvironment adds env to the deployment intent of the catalog
// entity kind namespace/name (namespace "" is "default") in src, a catalog
// file of one or more documents: as a new item of
// spec.deployment.environments when the entity has spec.deployment, else
// appended to its platbot.dev/environments annotation. where says which;
// changed is false when the intent already names the environment (src is
// returned as it is). Every byte besides the addition stays as it was.
// Refused: no such entity, an entity with neither form (ErrNoIntent), a
// flow-style environments list or a multi-line annotation (ErrUnsupported).
func AddIntentEnvironment(src []byte, kind, namespace, name string, env IntentEnvironment) (out []byte, where string, changed bool, err error) {
	for _, w := range []string{env.Name, env.Tier, env.Region} {
		if w != "" && !intentWordRe.MatchString(w) {
			return nil, "", false, fmt.Errorf("yamledit: %q cannot be written into a deployment intent: use letters, digits, '.', '_' and '-'", w)
		}
	}
	if env.Name == "" {
		return nil, "", false, errors.New("yamledit: the environment has no name")
	}
	if namespace == "" {
		namespace = "default"
	}
	d, err := load(src)
	if err != nil {
		return nil, "", false, err
	}
	index, root, err := d.entity(kind, namespace, name)
	if err != nil {
		return nil, "", false, err
	}
	what := kind + " " + name
	spec, _ := unwrap(valueOf(root, "spec")).(*ast.MappingNode)
	if dep := findKey(spec, "deployment"); dep != nil {
		where = WhereSpec
		changed, err = d.addSpecEnvironment(what, dep, env)
	} else {
		where = WhereAnnotation
		changed, err = d.addAnnotationEnvironment(what, root, env)
	}
	if err != nil {
		return nil, "", false, err
	}
	if !changed {
		return src, where, false, nil
	}
	if out, err = d.result(); err != nil {
		return nil, "", false, err
	}
	if err := verifyIntent(out, index, where, env); err != nil {
		return nil, "", false, err
	}
	return out, where, true, nil
}

// entity finds the document of the entity.
func (d *doc) entity(kind, namespace, name string) (int, *ast.MappingNode, error) {
	for i, dn := range d.file.Docs {
		root, ok := unwrap(dn.Body).(*ast.MappingNode)
		if !ok || !strings.EqualFold(scalarValue(valueOf(root, "kind")), kind) {
			continue
		}
		md, _ := unwrap(valueOf(root, "metadata")).(*ast.MappingNode)
		ns := scalarValue(valueOf(md, "namespace"))
		if ns == "" {
			ns = "default"
		}
		if md != nil && scalarValue(valueOf(md, "name")) == name && strings.EqualFold(ns, namespace) {
			if root.IsFlowStyle {
				return 0, nil, fmt.Errorf("yamledit: %s %s is written in flow style: %w", kind, name, ErrUnsupported)
			}
			return i, root, nil
		}
	}
	return 0, nil, fmt.Errorf("yamledit: the file has no %s %s/%s", kind, namespace, name)
}

// addSpecEnvironment appends env to the block list dep.environments, in
// the style of its last item (a flow mapping on one line, or a block
// mapping).
func (d *doc) addSpecEnvironment(what string, dep *ast.MappingValueNode, env IntentEnvironment) (bool, error) {
	dm, ok := unwrap(dep.Value).(*ast.MappingNode)
	if !ok || dm.IsFlowStyle {
		return false, fmt.Errorf("yamledit: %s: spec.deployment is not a block mapping: %w", what, ErrUnsupported)
	}
	kv := findKey(dm, "environments")
	seq, ok := unwrap(valueOf(dm, "environments")).(*ast.SequenceNode)
	if kv == nil || !ok || seq.IsFlowStyle || len(seq.Values) == 0 {
		return false, fmt.Errorf("yamledit: %s: spec.deployment.environments is not a block list of environments: %w", what, ErrUnsupported)
	}
	for _, it := range seq.Values {
		if m, ok := unwrap(it).(*ast.MappingNode); ok && scalarValue(valueOf(m, "name")) == env.Name {
			return false, nil
		}
	}
	dash := seq.Start.Position.Column - 1 // indentation of the items' dashes
	pad := strings.Repeat(" ", dash)
	fields := []string{"name: " + scalar(env.Name)}
	if env.Tier != "" {
		fields = append(fields, "tier: "+scalar(env.Tier))
	}
	if env.Region != "" {
		fields = append(fields, "region: "+scalar(env.Region))
	}
	var lines []string
	last, _ := unwrap(seq.Values[len(seq.Values)-1]).(*ast.MappingNode)
	if last != nil && last.IsFlowStyle {
		lines = []string{pad + "- {" + strings.Join(fields, ", ") + "}"}
	} else {
		// Block items: the keys line up after the dash as the last item's do.
		keyPad := pad + "  "
		if last != nil && len(last.Values) > 0 && last.Values[0].Key != nil {
			keyPad = strings.Repeat(" ", col(last.Values[0].Key)-1)
		}
		if len(keyPad) < dash+2 {
			keyPad = pad + "  "
		}
		lines = append(lines, pad+"-"+keyPad[len(pad)+1:]+fields[0])
		for _, f := range fields[1:] {
			lines = append(lines, keyPad+f)
		}
	}
	d.insert(d.seqEnd(lastLine(seq), dash), lines)
	return true, nil
}

// seqEnd is the line index after a block list whose last token starts on
// line startLine (1-based) and whose dashes are indented dash spaces: later
// lines indented deeper, or further items at the dashes' indentation,
// belong to it; blank lines and comments after it stay outside.
func (d *doc) seqEnd(startLine, dash int) int {
	end := startLine
	for i := startLine; i < len(d.lines); i++ {
		t := strings.TrimSpace(d.lines[i])
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		in := indentOf(d.lines[i])
		if in < dash || in == dash && !strings.HasPrefix(t, "-") || t == "---" || t == "..." {
			break
		}
		end = i + 1
	}
	return end
}

// addAnnotationEnvironment appends env to the one-line annotation.
func (d *doc) addAnnotationEnvironment(what string, root *ast.MappingNode, env IntentEnvironment) (bool, error) {
	md, _ := unwrap(valueOf(root, "metadata")).(*ast.MappingNode)
	ann, _ := unwrap(valueOf(md, "annotations")).(*ast.MappingNode)
	kv := findKey(ann, AnnotationEnvironments)
	if kv == nil {
		return false, fmt.Errorf("yamledit: %s has neither spec.deployment nor the %s annotation: %w", what, AnnotationEnvironments, ErrNoIntent)
	}
	cur := strings.TrimSpace(scalarValue(kv.Value))
	for _, part := range strings.Split(cur, ",") {
		n, _, _ := strings.Cut(strings.TrimSpace(part), "@")
		n, _, _ = strings.Cut(n, ":")
		if n == env.Name {
			return false, nil
		}
	}
	next := env.compact()
	if cur != "" {
		next = cur + ", " + next
	}
	if err := d.replaceValue(kv, strconv.Quote(next)); err != nil {
		return false, fmt.Errorf("%w (%s, annotation %s)", err, what, AnnotationEnvironments)
	}
	return true, nil
}

// verifyIntent decodes the edited file and checks that the entity's
// intent names env where the edit put it.
func verifyIntent(out []byte, index int, where string, env IntentEnvironment) error {
	dec := yamlv3.NewDecoder(bytes.NewReader(out))
	for i := 0; ; i++ {
		var e struct {
			Metadata struct {
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec struct {
				Deployment struct {
					Environments []map[string]any `yaml:"environments"`
				} `yaml:"deployment"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&e); err != nil {
			return fmt.Errorf("yamledit: the edited file does not decode (a bug; the file was left alone): %w", err)
		}
		if i < index {
			continue
		}
		ok := false
		if where == WhereSpec {
			for _, m := range e.Spec.Deployment.Environments {
				ok = ok || m["name"] == env.Name && (env.Tier == "" || m["tier"] == env.Tier) && (env.Region == "" || m["region"] == env.Region)
			}
		} else {
			ok = strings.HasSuffix(e.Metadata.Annotations[AnnotationEnvironments], env.compact())
		}
		if !ok {
			return fmt.Errorf("yamledit: the edit did not add %s to %s (a bug; the file was left alone)", env.Name, where)
		}
		return nil
	}
}
