package vault

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	vaultapi "github.com/hashicorp/vault/api"
)

// ErrVersionMismatch means a check-and-set write found another current
// version than the one it expected: someone wrote the secret meanwhile.
var ErrVersionMismatch = errors.New("the secret's current version is not the expected one")

// KVInfo is a KV v2 secret's metadata: never its data.
type KVInfo struct {
	// CurrentVersion is the latest version (0 when only metadata exists).
	CurrentVersion int
	Created        time.Time
	Updated        time.Time
	// CustomMetadata holds the secret's custom metadata (MarkerKey for
	// secrets a golden path generated).
	CustomMetadata map[string]string
	// Deleted is true when the current version is deleted or destroyed.
	Deleted bool
}

// PutKV writes data as a new version of the KV v2 secret at path with
// check-and-set cas: 0 means the secret must not exist yet, N means the
// current version must be N. It returns the version written; a mismatch
// fails with ErrVersionMismatch. The data never appears in errors.
func (c *Client) PutKV(ctx context.Context, mount, path string, data map[string]any, cas int) (int, error) {
	where := mount + "/" + path
	sec, err := c.api.KVv2(mount).Put(ctx, path, data, vaultapi.WithCheckAndSet(cas))
	if err != nil {
		if isCASMismatch(err) {
			return 0, fmt.Errorf("vault: write %s: expected version %d: %w", where, cas, ErrVersionMismatch)
		}
		return 0, c.wrap("write "+where, err)
	}
	if sec == nil || sec.VersionMetadata == nil {
		return 0, fmt.Errorf("vault: write %s: Vault did not say which version it wrote", where)
	}
	return sec.VersionMetadata.Version, nil
}

// PatchKV merges data into the current version of the secret at path (HTTP
// PATCH, Vault 1.9+), keeping the keys it does not name, as a new version
// with check-and-set cas. It returns the version written.
func (c *Client) PatchKV(ctx context.Context, mount, path string, data map[string]any, cas int) (int, error) {
	where := mount + "/" + path
	sec, err := c.api.KVv2(mount).Patch(ctx, path, data, vaultapi.WithCheckAndSet(cas))
	if err != nil {
		switch {
		case isCASMismatch(err):
			return 0, fmt.Errorf("vault: patch %s: expected version %d: %w", where, cas, ErrVersionMismatch)
		case errors.Is(err, vaultapi.ErrSecretNotFound):
			return 0, fmt.Errorf("vault: patch %s: %w", where, ErrNotFound)
		}
		return 0, c.wrap("patch "+where, err)
	}
	if sec == nil || sec.VersionMetadata == nil {
		return 0, fmt.Errorf("vault: patch %s: Vault did not say which version it wrote", where)
	}
	return sec.VersionMetadata.Version, nil
}

// KVInfo returns the metadata of the secret at path (never its data). A
// missing secret fails with ErrNotFound.
func (c *Client) KVInfo(ctx context.Context, mount, path string) (*KVInfo, error) {
	where := mount + "/" + path
	md, err := c.api.KVv2(mount).GetMetadata(ctx, path)
	if errors.Is(err, vaultapi.ErrSecretNotFound) {
		return nil, fmt.Errorf("vault: %s: %w", where, ErrNotFound)
	}
	if err != nil {
		return nil, c.wrap("read metadata of "+where, err)
	}
	info := &KVInfo{CurrentVersion: md.CurrentVersion, Created: md.CreatedTime, Updated: md.UpdatedTime, CustomMetadata: map[string]string{}}
	for k, v := range md.CustomMetadata {
		if s, ok := v.(string); ok {
			info.CustomMetadata[k] = s
		}
	}
	if v, ok := md.Versions[fmt.Sprint(md.CurrentVersion)]; ok {
		info.Deleted = v.Destroyed || !v.DeletionTime.IsZero()
		if !v.CreatedTime.IsZero() {
			info.Updated = v.CreatedTime
		}
	}
	return info, nil
}

// ListKV lists the names directly under the folder dir of the KV v2 mount
// (LIST <mount>/metadata/<dir>); sub-folders end in "/". A missing folder
// lists nothing.
func (c *Client) ListKV(ctx context.Context, mount, dir string) ([]string, error) {
	p := mount + "/metadata/" + strings.Trim(dir, "/")
	sec, err := c.api.Logical().ListWithContext(ctx, p)
	if err != nil {
		return nil, c.wrap("list "+p, err)
	}
	if sec == nil || sec.Data == nil {
		return nil, nil
	}
	raw, _ := sec.Data["keys"].([]any)
	out := make([]string, 0, len(raw))
	for _, k := range raw {
		if s, ok := k.(string); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out, nil
}
