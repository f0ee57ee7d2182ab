package store

import (
	"bufio"
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// Anchor is a signed statement of the audit chain's head, kept outside the
// database (an append-only file, an audit channel): "at Time the log's row
// Seq had hash Hash". VerifyAudit fails when the rows no longer agree with
// a genuine anchor, so a rewrite or a truncation of the database is caught
// even by someone who recomputes the chain, as long as they cannot also
// rewrite every copy of the anchors and sign new ones.
type Anchor struct {
	Seq  int64     `json:"seq"`
	Hash string    `json:"hash"`
	Time time.Time `json:"time"`
	// Boundary is the chain's boundary (rows up to it are unkeyed) when
	// the anchor was made.
	Boundary int64 `json:"boundary"`
	// KeyID names the chain key that signed it.
	KeyID string `json:"key_id"`
	// MAC is the chain key's MAC over the other fields, hex.
	MAC string `json:"mac"`
	// Source says where the anchor was read ("anchors.jsonl line 12"), for
	// reports; it is not signed.
	Source string `json:"-"`
}

// statement is the signed encoding of a.
func (a Anchor) statement() []byte {
	return labelled(anchorLabel, strconv.FormatInt(a.Seq, 10), a.Hash, a.Time.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(a.Boundary, 10), a.KeyID)
}

// Text is the anchor as one line for a chat channel.
func (a Anchor) Text() string {
	b, _ := json.Marshal(a)
	return "platbot audit anchor " + string(b)
}

// AnchorSink keeps anchors outside the database.
type AnchorSink interface {
	// Name says where the anchors go, for logs ("file /var/log/platbot/anchors.jsonl").
	Name() string
	// WriteAnchor stores a; writing the same anchor twice is harmless.
	WriteAnchor(ctx context.Context, a Anchor) error
}

// AnchorFile is an AnchorSink appending anchors to a file as JSON lines
// (created 0600). Point it at storage the database's writers cannot
// rewrite: an append-only file, a mount shipped to another host.
type AnchorFile struct{ Path string }

// Name implements AnchorSink.
func (f AnchorFile) Name() string { return "file " + f.Path }

// WriteAnchor appends a as one JSON line and syncs the file.
func (f AnchorFile) WriteAnchor(_ context.Context, a Anchor) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("anchor file %s: %w", f.Path, err)
	}
	fh, err := os.OpenFile(f.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("anchor file: %w", err)
	}
	_, err = fh.Write(append(b, '\n'))
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("anchor file %s: %w", f.Path, err)
	}
	return nil
}

// ReadAnchors reads the anchors in an anchor file (JSON lines, as
// AnchorFile writes them; blank lines are skipped). A missing file fails
// with an error wrapping fs.ErrNotExist; a malformed line fails naming the
// file and line.
func ReadAnchors(path string) ([]Anchor, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("anchors: %w", err)
	}
	defer fh.Close()
	var out []Anchor
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var a Anchor
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil || a.Seq <= 0 || a.MAC == "" {
			return nil, fmt.Errorf("anchors %s line %d: not an anchor (want a JSON object with seq, hash, time, boundary, key_id and mac)", path, line)
		}
		a.Source = fmt.Sprintf("%s line %d", path, line)
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("anchors %s: %w", path, err)
	}
	return out, nil
}

// signAnchor fills a's key id and MAC.
func (s *Store) signAnchor(ctx context.Context, a *Anchor) error {
	a.KeyID = s.chainKey.KeyID()
	mac, err := s.chainKey.MAC(ctx, a.statement())
	if err != nil {
		return fmt.Errorf("sign anchor with %s: %w", a.KeyID, err)
	}
	a.MAC = hex.EncodeToString(mac)
	return nil
}

// anchorGenuine reports whether a was signed by this store's chain key.
func (s *Store) anchorGenuine(ctx context.Context, a Anchor) (bool, error) {
	if a.KeyID != s.chainKey.KeyID() {
		return false, nil
	}
	want, err := s.chainKey.MAC(ctx, a.statement())
	if err != nil {
		return false, fmt.Errorf("check anchor (%s) with %s: %w", a.Source, a.KeyID, err)
	}
	got, err := hex.DecodeString(a.MAC)
	return err == nil && hmac.Equal(got, want), nil
}

// MakeAnchor signs the current head of the audit log. It first checks the
// newest row against its hash, so a row rewritten behind the store's back
// is never anchored. ok is false when the log is empty.
func (s *Store) MakeAnchor(ctx context.Context) (a Anchor, ok bool, err error) {
	if s.chainKey == nil {
		return a, false, fmt.Errorf("anchor: %w", ErrNoChainKey)
	}
	tx, err := s.rdb.BeginTx(ctx, s.readTxOptions())
	if err != nil {
		return a, false, fmt.Errorf("anchor: %w", err)
	}
	defer tx.Rollback()
	c, err := readChain(ctx, tx)
	if err != nil {
		return a, false, fmt.Errorf("anchor: %w", err)
	}
	if !c.isSealed() {
		return a, false, errors.New("anchor: the audit chain is not keyed (its audit_chain record is missing or was never sealed): run platbot audit verify")
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit ORDER BY seq DESC LIMIT 1`)
	if err != nil {
		return a, false, fmt.Errorf("anchor: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return a, false, rows.Err()
	}
	r, badTime, err := scanRow(rows)
	if err == nil {
		err = badTime
	}
	if err != nil {
		return a, false, fmt.Errorf("anchor: seq %d: %w", r.seq, err)
	}
	v := verifier{rowKey: s.rowKey, keyed: true, chain: c}
	if r.sum(v.rowKeyFor(r.seq)) != r.hash {
		return a, false, fmt.Errorf("anchor: the newest audit row (seq %d) does not match its hash: not anchoring it; run platbot audit verify", r.seq)
	}
	a = Anchor{Seq: r.seq, Hash: r.hash, Time: s.now().UTC(), Boundary: c.boundary}
	if err := s.signAnchor(ctx, &a); err != nil {
		return a, false, fmt.Errorf("anchor: %w", err)
	}
	return a, true, nil
}

// Anchorer periodically writes the audit head to its sinks.
type Anchorer struct {
	store *Store
	sinks []AnchorSink

	mu   sync.Mutex
	last map[string]int64 // per sink name: the seq last written
}

// NewAnchorer returns an Anchorer writing s's head to sinks.
func NewAnchorer(s *Store, sinks ...AnchorSink) *Anchorer {
	return &Anchorer{store: s, sinks: sinks, last: map[string]int64{}}
}

// Anchor signs the current head and writes it to every sink that has not
// had this seq yet. A sink that fails is retried on the next call; the
// error names it. It returns the anchor it made (zero for an empty log).
func (a *Anchorer) Anchor(ctx context.Context) (Anchor, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	an, ok, err := a.store.MakeAnchor(ctx)
	if err != nil || !ok {
		return an, err
	}
	var errs []error
	for _, sk := range a.sinks {
		if a.last[sk.Name()] == an.Seq {
			continue
		}
		if err := sk.WriteAnchor(ctx, an); err != nil {
			errs = append(errs, fmt.Errorf("anchor to %s: %w", sk.Name(), err))
			continue
		}
		a.last[sk.Name()] = an.Seq
	}
	return an, errors.Join(errs...)
}

// Run anchors at once and then every interval until ctx ends, logging
// failures. The caller anchors once more at shutdown (Anchor).
func (a *Anchorer) Run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if an, err := a.Anchor(ctx); err != nil && ctx.Err() == nil {
			a.store.log.Error("audit anchor failed", "err", err)
		} else if err == nil && an.Seq > 0 {
			a.store.log.Debug("audit anchored", "seq", an.Seq)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
