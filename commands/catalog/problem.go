package catalog

import (
	"fmt"
	"strings"
)

// Problem severities.
const (
	// SeverityError marks a problem that kept an entity (or a whole file)
	// out of the catalog.
	SeverityError = "error"
	// SeverityWarning marks a problem the entity was accepted with: an
	// unresolved reference, an orphan.
	SeverityWarning = "warning"
)

// Problem is one thing wrong with the catalog's sources, with where it is.
type Problem struct {
	Severity string `json:"severity"`
	// Location is the configured location the file was reached from.
	Location string `json:"location,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	// Entity is the ref of the entity concerned, when known.
	Entity  string `json:"entity,omitempty"`
	Message string `json:"message"`
}

// String renders "[location] file:line: [entity: ]message", each part
// present only when known: the location is the configured one the file was
// reached from ("file:examples/catalog", "url:https://github.com/…").
func (p Problem) String() string {
	var b strings.Builder
	if p.Location != "" {
		b.WriteString("[" + p.Location + "] ")
	}
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Entity != "" {
		b.WriteString(p.Entity + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}
