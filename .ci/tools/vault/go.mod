// Module vault pins the Vault server used by the integration tests. Only Vault
// 1.14.x and older are open source (MPL-2.0): never move it past v1.14.8.
module platbot/ci-tools/vault

go 1.26.0

require github.com/hashicorp/vault v1.14.2

// Vault 1.14 was released against an unpublished sdk snapshot; use the
// published sdk v0.9.2 with one check switched off (see sdk/PLATBOT.md).
replace github.com/hashicorp/vault/sdk => ./sdk
