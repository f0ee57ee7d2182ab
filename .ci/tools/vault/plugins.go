package main

import (
	"sort"

	credKube "github.com/hashicorp/vault-plugin-auth-kubernetes"
	logicalKv "github.com/hashicorp/vault-plugin-secrets-kv"
	"github.com/hashicorp/vault/builtin/logical/transit"
	"github.com/hashicorp/vault/builtin/plugin"
	"github.com/hashicorp/vault/sdk/helper/consts"
	"github.com/hashicorp/vault/sdk/logical"
)

// The backends Vault's core gets directly, as `vault server` gives them
// (github.com/hashicorp/vault/command/commands.go): "kv" so that the dev
// server can mount secret/ before any plugin is looked up, and "plugin" for
// mounts that name a plugin of the catalog. The core adds its own (token,
// cubbyhole, identity, system).
var (
	credentialBackends = map[string]logical.Factory{
		"plugin": plugin.Factory,
	}
	logicalBackends = map[string]logical.Factory{
		"plugin": plugin.Factory,
		"kv":     logicalKv.Factory,
	}
)

// builtins is the catalog of built-in plugins: the subset of Vault's own
// (github.com/hashicorp/vault/helper/builtinplugins/registry.go) that
// platbot's tests mount, under the same names and with the same factories.
// Mounting any other type fails as it does for an unknown plugin.
var builtins = registry{
	consts.PluginTypeCredential: {
		"kubernetes": credKube.Factory, // auth/kubernetes roles (integrations/vault)
	},
	consts.PluginTypeSecrets: {
		"kv":      logicalKv.Factory, // KV v2 mounts (secret/ and the tests' own)
		"transit": transit.Factory,   // sealing and audit HMACs
	},
}

// registry implements vault.BuiltinRegistry over a fixed set of factories,
// none of them deprecated.
type registry map[consts.PluginType]map[string]logical.Factory

func (r registry) Contains(name string, pluginType consts.PluginType) bool {
	_, ok := r[pluginType][name]
	return ok
}

func (r registry) Get(name string, pluginType consts.PluginType) (func() (interface{}, error), bool) {
	f, ok := r[pluginType][name]
	if !ok {
		return nil, false
	}
	return func() (interface{}, error) { return f, nil }, true
}

func (r registry) Keys(pluginType consts.PluginType) []string {
	keys := make([]string, 0, len(r[pluginType]))
	for k := range r[pluginType] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (r registry) DeprecationStatus(name string, pluginType consts.PluginType) (consts.DeprecationStatus, bool) {
	if !r.Contains(name, pluginType) {
		return consts.Unknown, false
	}
	return consts.Supported, true
}

func (r registry) IsBuiltinEntPlugin(string, consts.PluginType) bool { return false }
