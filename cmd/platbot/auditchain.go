package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/store"
)

// Defaults of the audit section's chain and anchor settings.
const (
	chainKeyFileName   = "audit-chain.key"
	anchorFileName     = "audit-anchors.jsonl"
	defaultAnchorEvery = 5 * time.Minute
)

// chainKeyPath is the chain key file: audit.chainKeyFile, or
// <data_dir>/audit-chain.key. It is a different file from the key of the
// sensitive-field digests (audit-hmac.key): that key may be handed to
// investigators to look up a known value, and whoever holds the chain key
// can rewrite the chain.
func chainKeyPath(cfg *Config) string {
	if cfg.Audit.ChainKeyFile != "" {
		return cfg.Audit.ChainKeyFile
	}
	return filepath.Join(cfg.DataDir, chainKeyFileName)
}

// anchorFilePath is where anchors are appended ("" when turned off with
// audit.anchorFile: "off").
func anchorFilePath(cfg *Config) string {
	switch cfg.Audit.AnchorFile {
	case "off":
		return ""
	case "":
		return filepath.Join(cfg.DataDir, anchorFileName)
	}
	return cfg.Audit.AnchorFile
}

// loadChainKey returns the audit chain's key: the Vault transit key named
// by audit.vaultTransitKey when set (the row key is then derived by Vault
// at start and anchors are signed by Vault), else the key file. Either is
// created on first start when create is true, never when it is false.
func loadChainKey(ctx context.Context, cfg *Config, log *slog.Logger, create bool) (store.ChainKey, error) {
	if name := cfg.Audit.VaultTransitKey; name != "" {
		if cfg.Vault.Addr == "" {
			return nil, &ConfigError{File: cfg.path, Key: "audit.vaultTransitKey", Msg: "needs Vault: set VAULT_ADDR and VAULT_TOKEN (vault.addr, vault.token)"}
		}
		vc, err := cfg.vaultClient(log)
		if err != nil {
			return nil, fmt.Errorf("audit chain key: %w", err)
		}
		ensure := vc.EnsureHMACKey
		if !create {
			ensure = vc.ReadHMACKey
		}
		k, err := ensure(ctx, cfg.Audit.VaultTransitMount, name, 1)
		if err != nil {
			return nil, fmt.Errorf("audit chain key: %w", err)
		}
		return k, nil
	}
	p := chainKeyPath(cfg)
	if filepath.Clean(p) == filepath.Clean(filepath.Join(cfg.DataDir, "audit-hmac.key")) {
		return nil, &ConfigError{File: cfg.path, Key: "audit.chainKeyFile", Msg: "must not be the sensitive-field key audit-hmac.key: the chain key needs its own file"}
	}
	k, err := store.LoadChainKeyFile(p, create)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// startAnchoring writes the audit head to the anchor file and, when
// configured and Slack is connected, the audit channel: at start, every
// audit.anchorEvery, and once more when the app closes.
func (a *App) startAnchoring() error {
	every := defaultAnchorEvery
	if s := a.Cfg.Audit.AnchorEvery; s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second {
			return &ConfigError{File: a.Cfg.path, Key: "audit.anchorEvery", Msg: fmt.Sprintf("%q is not a duration of at least 1s (e.g. 5m)", s)}
		}
		every = d
	}
	var sinks []store.AnchorSink
	if p := anchorFilePath(a.Cfg); p != "" {
		sinks = append(sinks, store.AnchorFile{Path: p})
	}
	if ch := a.Cfg.Audit.AnchorChannel; ch != "" {
		if ok, _ := a.Cfg.SlackConfigured(); ok {
			sinks = append(sinks, channelAnchors{channel: ch, router: a.Router})
		}
	}
	if len(sinks) == 0 {
		a.Log.Warn("audit anchors are turned off (audit.anchorFile: off and no audit.anchorChannel): audit verify cannot detect a truncated or re-keyed log")
		return nil
	}
	anch := store.NewAnchorer(a.Store, sinks...)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	started := false
	a.startup = append(a.startup, func(context.Context) error {
		started = true
		go func() {
			defer close(done)
			anch.Run(runCtx, every)
		}()
		return nil
	})
	a.closers = append(a.closers, func() error {
		cancel()
		if started {
			<-done
		}
		ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if _, err := anch.Anchor(ctx); err != nil {
			return fmt.Errorf("final audit anchor: %w", err)
		}
		return nil
	})
	return nil
}

// channelAnchors posts anchors to the audit channel through the Slack
// messenger.
type channelAnchors struct {
	channel string
	router  *bot.Router
}

func (c channelAnchors) Name() string { return "channel " + c.channel }

func (c channelAnchors) WriteAnchor(ctx context.Context, a store.Anchor) error {
	m := c.router.Messenger(bot.TransportSlack)
	if m == nil {
		return errors.New("Slack is not connected")
	}
	_, err := m.Post(ctx, c.channel, bot.Message{Text: "`" + a.Text() + "`"})
	return err
}

// auditVerify checks the chain with its key (which must exist: verify never
// makes a new one) and against the anchors in anchorsFile ("" for none).
func auditVerify(ctx context.Context, cfg *Config, log *slog.Logger, anchorsFile string, stdout, stderr io.Writer) error {
	if _, err := loadChainKey(ctx, cfg, log, false); err != nil {
		return err
	}
	var anchors []store.Anchor
	if anchorsFile != "" {
		var err error
		anchors, err = store.ReadAnchors(anchorsFile)
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "platbot audit verify: no anchors at %s: checking the chain only (anchors are written by serve every %s; a missing file may also mean it was deleted)\n", anchorsFile, defaultAnchorEvery)
		} else if err != nil {
			return err
		}
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.VerifyAudit(ctx, anchors...)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if !rep.OK {
		fmt.Fprintln(stdout, rep.String())
		return errAuditBroken
	}
	fmt.Fprintf(stdout, "audit log OK: %d rows, hash chain intact\n", rep.Rows)
	switch {
	case rep.Keyed && rep.Boundary > 0:
		fmt.Fprintf(stdout, "keyed with %s from seq %d on; rows 1..%d predate keying and are pinned by the sealed boundary\n", rep.KeyID, rep.Boundary+1, rep.Boundary)
	case rep.Keyed:
		fmt.Fprintf(stdout, "keyed with %s\n", rep.KeyID)
	default:
		fmt.Fprintln(stdout, "not keyed yet: the chain is keyed on the next start of platbot serve or shell")
	}
	if rep.Anchor != nil {
		fmt.Fprintf(stdout, "agrees with %d anchors; the newest is of seq %d at %s\n", rep.Anchors, rep.Anchor.Seq, rep.Anchor.Time.Format(time.RFC3339))
	}
	return nil
}
