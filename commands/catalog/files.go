package catalog

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

// Reading and parsing the files of one refresh: files are read and parsed
// in parallel (parseAll), then merged in order by the loader (refresh.go).

// docLines keeps the few line numbers problems found after parsing need,
// so the YAML nodes can be dropped as soon as a file is parsed.
type docLines struct {
	refs    []refLines // spec ref fields: the line of each value
	owner   int        // line of spec.owner
	manager int        // line of the platbot.dev/manager annotation
	targets []int      // a Location's spec.target, then spec.targets
}

// refLines are the lines of a spec ref field's values.
type refLines struct {
	field string
	lines []int
}

func (d *docLines) ref(field string, i int) int {
	if d == nil {
		return 0
	}
	for _, r := range d.refs {
		if r.field == field && len(r.lines) > 0 {
			return r.lines[min(i, len(r.lines)-1)]
		}
	}
	return 0
}

// parsedFile is a file read and parsed, waiting to be merged in order.
type parsedFile struct {
	place place
	file  string
	err   error // the file could not be read
	docs  []parsedDoc
}

// parsedDoc is one document of a file: an entity with its problems, or a
// syntax error.
type parsedDoc struct {
	line   int
	syntax error
	e      *Entity
	errs   []lineError
	lines  *docLines
	kind   int // line of the kind field
}

// parseAll reads and parses files concurrently; results keep their order.
// Each worker interns strings in its own table.
func (l *loader) parseAll(files []place) []parsedFile {
	out := make([]parsedFile, len(files))
	if len(files) == 1 {
		out[0] = parseFile(l.ctx, l.gh, files[0], interner{})
		return out
	}
	workers := min(max(runtime.GOMAXPROCS(0), 4), len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := interner{}
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) {
					return
				}
				out[i] = parseFile(l.ctx, l.gh, files[i], in)
			}
		}()
	}
	wg.Wait()
	return out
}

// parseFile reads a file and decodes and validates its documents. It has
// no side effects, so files are parsed in parallel.
func parseFile(ctx context.Context, gh GitHubContents, p place, in interner) parsedFile {
	pf := parsedFile{place: p, file: p.String()}
	data, err := p.read(ctx, gh)
	if err != nil {
		pf.err = err
		return pf
	}
	for _, doc := range parseDocumentsIn(data, in) {
		if doc.err != nil {
			line := errorLine(doc.err.Error())
			if line == 0 {
				line = doc.line
			}
			pf.docs = append(pf.docs, parsedDoc{line: line, syntax: doc.err})
			continue
		}
		pd := parsedDoc{line: doc.root.Line, kind: lineOf(doc.root, "kind")}
		pd.e, pd.errs = decodeEntity(doc.root, in)
		if pd.e != nil {
			pd.errs = append(pd.errs, validate(pd.e, doc.root)...)
			pd.lines = linesOf(pd.e, doc.root)
		}
		pf.docs = append(pf.docs, pd)
	}
	return pf
}

// linesOf records where an entity's refs, manager and targets are written.
func linesOf(e *Entity, root *yaml.Node) *docLines {
	d := &docLines{manager: lineOf(root, "metadata", "annotations", AnnotationManager), owner: lineOf(root, "spec", "owner")}
	spec := mustField(root, "spec")
	for _, rf := range refFields[e.Kind] {
		_, v := field(spec, rf.field)
		switch {
		case v == nil:
		case v.Kind == yaml.SequenceNode:
			ls := make([]int, len(v.Content))
			for i, it := range v.Content {
				ls[i] = it.Line
			}
			d.refs = append(d.refs, refLines{rf.field, ls})
		default:
			d.refs = append(d.refs, refLines{rf.field, []int{v.Line}})
		}
	}
	if e.Kind == KindLocation {
		if _, v := field(spec, "target"); v != nil {
			d.targets = append(d.targets, v.Line)
		}
		if _, v := field(spec, "targets"); v != nil && v.Kind == yaml.SequenceNode {
			for _, it := range v.Content {
				d.targets = append(d.targets, it.Line)
			}
		}
	}
	return d
}
