package home

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/platbot/platbot/store"
)

// KindPace is the record holding the next free views.publish slot, shared
// by every replica over the store.
const KindPace = "home.pace"

// paceID is the KindPace record of views.publish.
const paceID = "views.publish"

// maxPaceAttempts bounds the compare-and-swap retries of one booking; a
// booking that loses more races fails (the publication job is retried).
const maxPaceAttempts = 50

// paceData is a KindPace record's data.
type paceData struct {
	Next time.Time `json:"next"`
}

// waitSlot books the next views.publish slot and waits for it. The slots
// are handed out by compare-and-swap on one store record, so all replicas
// together publish at most once per PublishInterval; a zero interval does
// not pace.
func (h *Home) waitSlot(ctx context.Context) error {
	iv := h.cfg.PublishInterval.D()
	if iv <= 0 {
		return nil
	}
	for range maxPaceAttempts {
		now := h.now()
		rec, err := h.d.Store.GetRecord(ctx, KindPace, paceID)
		if errors.Is(err, store.ErrNotFound) {
			data, err := json.Marshal(paceData{Next: now.Add(iv).UTC()})
			if err != nil {
				return fmt.Errorf("book home publication slot: %w", err)
			}
			created, err := h.d.Store.PutRecord(ctx, store.Record{Kind: KindPace, ID: paceID, State: "open", Data: data})
			if err != nil {
				return fmt.Errorf("book home publication slot: %w", err)
			}
			if created {
				return nil // the first slot: now
			}
			continue // another replica created it first
		}
		if err != nil {
			return fmt.Errorf("book home publication slot: %w", err)
		}
		var p paceData
		if err := json.Unmarshal(rec.Data, &p); err != nil {
			h.log.Warn("unreadable home publication slot; starting again from now", "err", err)
		}
		slot := p.Next
		if slot.Before(now) {
			slot = now
		}
		if rec.Data, err = json.Marshal(paceData{Next: slot.Add(iv).UTC()}); err != nil {
			return fmt.Errorf("book home publication slot: %w", err)
		}
		if _, err := h.d.Store.UpdateRecord(ctx, *rec); err != nil {
			if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
				continue // another replica booked meanwhile
			}
			return fmt.Errorf("book home publication slot: %w", err)
		}
		if d := slot.Sub(now); d > 0 {
			return h.sleep(ctx, d)
		}
		return nil
	}
	return fmt.Errorf("book home publication slot: lost %d races with other replicas", maxPaceAttempts)
}
