// Vault 1.14 predates Go 1.23, which started rejecting X.509 certificates
// with negative serial numbers; keep the behaviour Vault was released with.

//go:debug x509negativeserial=1

// Command vault is the open-source (MPL-2.0) HashiCorp Vault server in dev
// mode, built from the module version pinned in go.mod, for use as a real
// server in platbot's integration tests (see integrations/testenv).
//
// It is Vault's own core (github.com/hashicorp/vault/vault) and HTTP API
// (github.com/hashicorp/vault/http) on in-memory storage, set up the way
// `vault server -dev` sets them up (see dev.go), with the plugins the tests
// mount compiled in. Vault's CLI (github.com/hashicorp/vault/command) is not
// linked: it brings in every storage backend, seal and plugin Vault ships,
// which is most of a cold build's cost. The command line is the part of
// `vault server -dev` the tests use:
//
//	vault server -dev [-dev-root-token-id=ID] [-dev-listen-address=HOST:PORT] [-dev-no-store-token]
//	vault version
//
// Build it with `.ci/tools/build.sh vault`.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
