package catalog

import (
	"fmt"
	"time"
	// The zones are checked against the database built into the binary,
	// so a catalog loads the same on a host without one.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"
)

// AnnotationTimeZone is a team's (Group's) time zone, an IANA name like
// Europe/Berlin. Golden paths show schedules in it (new-cron-job).
const AnnotationTimeZone = "platbot.dev/timezone"

// TimeZone is the location a team's AnnotationTimeZone names; ok is false
// when the entity has none (or an invalid one, which the catalog refuses
// at load).
func TimeZone(e *Entity) (loc *time.Location, ok bool) {
	name := e.Annotation(AnnotationTimeZone)
	if name == "" {
		return nil, false
	}
	loc, err := LoadTimeZone(name)
	return loc, err == nil
}

// LoadTimeZone loads an IANA time zone by name. "Local" (the host's zone)
// and "" are refused: neither names the same zone everywhere.
func LoadTimeZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("%q is not an IANA time zone name (like Europe/Berlin or America/New_York)", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not an IANA time zone name (like Europe/Berlin or America/New_York)", name)
	}
	return loc, nil
}

// timeZone checks a Group's AnnotationTimeZone (metadata mapping mv).
func (c *checker) timeZone(mv *yaml.Node) {
	_, m := field(mv, "annotations")
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Value != AnnotationTimeZone || !isString(v) {
			continue
		}
		if _, err := LoadTimeZone(v.Value); err != nil {
			c.addf(v.Line, "annotation %s: %v", AnnotationTimeZone, err)
		}
	}
}
