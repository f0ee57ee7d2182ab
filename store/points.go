package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

const sqlUpsertPoint = `INSERT INTO points (series, key, at, value) VALUES (?, ?, ?, ?)
ON CONFLICT (series, key, at) DO UPDATE SET value = excluded.value`

// AppendPoint records one value of a time series. At defaults to now; a
// second point with the same series, key and At replaces the first, so a
// re-run of the job that records it is harmless.
func (s *Store) AppendPoint(ctx context.Context, p Point) error {
	if p.Series == "" || p.Key == "" {
		return errors.New("append point: need series and key")
	}
	value, err := jsonText(p.Value)
	if err != nil {
		return fmt.Errorf("append point %s/%s: value: %w", p.Series, p.Key, err)
	}
	if p.At.IsZero() {
		p.At = s.now()
	}
	at := formatTime(p.At)
	err = s.write(ctx, func(w *wtx) error {
		_, err := w.exec(sqlUpsertPoint, p.Series, p.Key, at, value)
		return err
	})
	if err != nil {
		return fmt.Errorf("append point %s/%s: %w", p.Series, p.Key, err)
	}
	return nil
}

// Points returns the points of one series and key at or after since, oldest
// first.
func (s *Store) Points(ctx context.Context, series, key string, since time.Time) ([]Point, error) {
	pts, err := s.queryPoints(ctx, `SELECT series, key, at, value FROM points
WHERE series = ? AND key = ? AND at >= ? ORDER BY at`, series, key, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("points %s/%s: %w", series, key, err)
	}
	return pts, nil
}

// LatestPoints returns, for every key of series, its latest point at or
// before before (the zero time means no bound), ordered by key. Comparing
// LatestPoints(series, now) with LatestPoints(series, now-7d) gives
// week-over-week movers.
func (s *Store) LatestPoints(ctx context.Context, series string, before time.Time) ([]Point, error) {
	bound := "9999"
	if !before.IsZero() {
		bound = formatTime(before)
	}
	pts, err := s.queryPoints(ctx, `SELECT p.series, p.key, p.at, p.value FROM points p
JOIN (SELECT key, MAX(at) AS at FROM points WHERE series = ? AND at <= ? GROUP BY key) m
  ON p.key = m.key AND p.at = m.at
WHERE p.series = ? ORDER BY p.key`, series, bound, series)
	if err != nil {
		return nil, fmt.Errorf("latest points %s: %w", series, err)
	}
	return pts, nil
}

func (s *Store) queryPoints(ctx context.Context, q string, args ...any) ([]Point, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Point
	for rows.Next() {
		var p Point
		var at, value string
		if err := rows.Scan(&p.Series, &p.Key, &at, &value); err != nil {
			return nil, err
		}
		if p.At, err = parseTime(at); err != nil {
			return nil, err
		}
		p.Value = []byte(value)
		out = append(out, p)
	}
	return out, rows.Err()
}
