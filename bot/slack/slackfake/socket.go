package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Socket Mode envelope types.
const (
	EnvelopeSlashCommands = "slash_commands"
	EnvelopeInteractive   = "interactive"
	EnvelopeEventsAPI     = "events_api"
)

// socketState is the fake's Socket Mode side: apps.connections.open hands
// out the URL of /socket, where one websocket connection at a time is kept.
type socketState struct {
	mu      sync.Mutex
	conn    *wsConn
	count   int                             // connections accepted so far
	waiting map[string]chan json.RawMessage // envelope id -> ack payload
	changed chan struct{}
	seq     int
}

func (st *socketState) init() {
	st.waiting = map[string]chan json.RawMessage{}
	st.changed = make(chan struct{})
}

func (st *socketState) signal() {
	close(st.changed)
	st.changed = make(chan struct{})
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := wsUpgrade(w, r)
	if err != nil {
		return
	}
	st := &s.sock
	st.mu.Lock()
	if st.conn != nil {
		_ = st.conn.Close()
	}
	st.conn = conn
	st.count++
	n := st.count
	st.mu.Unlock()

	hello := map[string]any{"type": "hello", "num_connections": 1, "connection_info": map[string]any{"app_id": "A0FAKE"}}
	if err := s.writeSocket(conn, hello); err != nil {
		return
	}
	st.mu.Lock()
	st.signal()
	st.mu.Unlock()

	stop := make(chan struct{})
	go func() { // ping like Slack does, so the client's dead-connection timer stays happy
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if conn.Ping([]byte(fmt.Sprint(n))) != nil {
					return
				}
			}
		}
	}()
	defer close(stop)
	for {
		var msg struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		raw, err := conn.ReadMessage()
		if err == nil {
			err = json.Unmarshal(raw, &msg)
		}
		if err != nil {
			st.mu.Lock()
			if st.conn == conn {
				st.conn = nil
				st.signal()
			}
			st.mu.Unlock()
			return
		}
		st.mu.Lock()
		ch := st.waiting[msg.EnvelopeID]
		delete(st.waiting, msg.EnvelopeID)
		st.mu.Unlock()
		if ch != nil {
			if msg.Payload == nil {
				msg.Payload = json.RawMessage{}
			}
			ch <- msg.Payload
		}
	}
}

func (s *Server) writeSocket(conn *wsConn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("slackfake: encode socket message: %w", err)
	}
	return conn.WriteText(b)
}

// SocketConnections is how many Socket Mode connections the fake accepted.
func (s *Server) SocketConnections() int {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return s.sock.count
}

// WaitSocket blocks until the n-th Socket Mode connection is open (n counts
// from 1), or ctx ends.
func (s *Server) WaitSocket(ctx context.Context, n int) error {
	for {
		st := &s.sock
		st.mu.Lock()
		ok := st.count >= n && st.conn != nil
		ch := st.changed
		st.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("slackfake: waiting for socket connection %d: %w", n, ctx.Err())
		case <-ch:
		}
	}
}

// SendEnvelope sends a Socket Mode envelope of a type (EnvelopeSlashCommands,
// EnvelopeInteractive, EnvelopeEventsAPI) with a payload over the open
// connection and waits for its acknowledgement, returning the ack's
// payload (empty when the ack carried none). retry is the envelope's
// retry_attempt.
func (s *Server) SendEnvelope(ctx context.Context, typ string, payload any, retry int) (json.RawMessage, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("slackfake: encode payload: %w", err)
	}
	st := &s.sock
	st.mu.Lock()
	conn := st.conn
	st.seq++
	id := fmt.Sprintf("env-%06d", st.seq)
	ch := make(chan json.RawMessage, 1)
	st.waiting[id] = ch
	st.mu.Unlock()
	if conn == nil {
		return nil, errors.New("slackfake: no socket connection")
	}
	env := map[string]any{
		"envelope_id": id, "type": typ, "payload": json.RawMessage(raw),
		"accepts_response_payload": typ != EnvelopeEventsAPI, "retry_attempt": retry,
	}
	if retry > 0 {
		env["retry_reason"] = "timeout"
	}
	if err := s.writeSocket(conn, env); err != nil {
		return nil, fmt.Errorf("slackfake: send envelope: %w", err)
	}
	select {
	case p := <-ch:
		return p, nil
	case <-ctx.Done():
		st.mu.Lock()
		delete(st.waiting, id)
		st.mu.Unlock()
		return nil, fmt.Errorf("slackfake: waiting for ack of %s: %w", id, ctx.Err())
	}
}

// DropSocket closes the current Socket Mode connection abruptly, as a
// network failure would.
func (s *Server) DropSocket() {
	st := &s.sock
	st.mu.Lock()
	conn := st.conn
	st.conn = nil
	st.signal()
	st.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}
