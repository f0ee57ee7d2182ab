// Package archtest holds the tests that keep platbot's architecture as
// docs/architecture.md describes it: which layer may import which (see
// imports_test.go), and that code comments and docs cite only documents
// inside the repository (see refs_test.go). It has no code of its own.
package archtest
