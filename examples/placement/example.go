// Package placement embeds the example placement configuration,
// placement.yaml: platbot's default in demo mode and in the shell when
// platbot.yaml has no placement section.
package placement

import _ "embed"

// File is the example's name in errors.
const File = "examples/placement/placement.yaml"

// Config is the content of placement.yaml.
//
//go:embed placement.yaml
var Config []byte
