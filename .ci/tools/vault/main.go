// Vault 1.14 predates Go 1.23, which started rejecting X.509 certificates
// with negative serial numbers; keep the behaviour Vault was released with.

//go:debug x509negativeserial=1

// Command vault is the open-source (MPL-2.0) HashiCorp Vault server and CLI,
// built from the module version pinned in go.mod, for use as a real dev
// server in platbot's integration tests (see integrations/testenv).
//
// Build it with `.ci/tools/build.sh vault`.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
