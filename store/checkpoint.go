package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Checkpointing. SQLite's automatic checkpoint runs inside the commit that
// crosses the threshold, so one unlucky request pays for copying the whole
// write-ahead log into the database. The writer connection turns it off
// (wal_autocheckpoint=0) and this goroutine checkpoints in the background on
// its own connection instead: PASSIVE never blocks the writer or readers,
// and once the log is fully copied the next commit starts it over from the
// beginning, so it stays bounded (journal_size_limit trims the file).
const (
	checkpointEvery  = 250 * time.Millisecond
	journalSizeLimit = 64 << 20
)

func (s *Store) openCheckpointer(ctx context.Context) error {
	uri, err := sqliteURI(s.path)
	if err != nil {
		return fmt.Errorf("open checkpointer: %w", err)
	}
	db, err := sql.Open("sqlite", uri+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("open checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("open checkpointer: %w", err)
	}
	s.cdb = db
	s.cpStop = make(chan struct{})
	s.cpDone = make(chan struct{})
	go s.checkpointLoop()
	return nil
}

func (s *Store) checkpointLoop() {
	defer close(s.cpDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	var seen uint64
	for {
		select {
		case <-s.cpStop:
			return
		case <-t.C:
		}
		if w := s.batches.Load(); w != seen {
			seen = w
			if _, err := s.cdb.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				s.log.Warn("store: background checkpoint", "err", err)
			}
		}
	}
}

// closeCheckpointer stops the loop and folds the log into the database.
func (s *Store) closeCheckpointer() error {
	if s.cdb == nil {
		return nil
	}
	close(s.cpStop)
	<-s.cpDone
	if _, err := s.cdb.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		s.log.Warn("store: final checkpoint", "err", err)
	}
	return s.cdb.Close()
}
