// Package guardtest drives HTTP entry points the way hostile clients do, for
// the tests of platbot's entry-point limits: huge bodies streamed with or
// without Content-Length, and requests that hold their slot by sending their
// body slowly. It speaks HTTP/1.1 over a raw TCP connection, so what the
// client sends is exactly what the test says, and it allocates almost
// nothing itself, so a test can measure what the server allocated.
package guardtest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// Body describes what a request sends.
type Body struct {
	// Prefix is sent first (a JSON opening, say); then filler bytes up to Size.
	Prefix []byte
	// Size is the total body length in bytes.
	Size int64
	// Chunked sends the body with Transfer-Encoding: chunked and no
	// Content-Length; otherwise Content-Length: Size is declared.
	Chunked bool
}

// Post sends a request with header and body to target (an http:// URL) and
// returns the response status. The body is written while the response is
// read, as a client that does not wait would; write errors after the server
// answered are expected and ignored.
func Post(t testing.TB, target string, header http.Header, body Body) int {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := requestHead(u, header, body.Size, body.Chunked)
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := bufio.NewWriterSize(conn, 64<<10)
		if _, err := w.WriteString(head); err != nil {
			return
		}
		writeBody(w, body)
		_ = w.Flush()
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	conn.Close()
	<-done
	return resp.StatusCode
}

func requestHead(u *url.URL, header http.Header, size int64, chunked bool) string {
	var b strings.Builder
	path := u.RequestURI()
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\n", path, u.Host)
	keys := make([]string, 0, len(header))
	for k := range header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n")
	} else {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", size)
	}
	b.WriteString("\r\n")
	return b.String()
}

// writeBody writes the body, stopping at the first write error (the server
// closed the connection).
func writeBody(w *bufio.Writer, body Body) {
	filler := make([]byte, 32<<10)
	for i := range filler {
		filler[i] = 'a'
	}
	write := func(p []byte) error {
		if body.Chunked {
			if _, err := fmt.Fprintf(w, "%x\r\n", len(p)); err != nil {
				return err
			}
		}
		if _, err := w.Write(p); err != nil {
			return err
		}
		if body.Chunked {
			_, err := w.WriteString("\r\n")
			return err
		}
		return nil
	}
	left := body.Size
	if len(body.Prefix) > 0 {
		if err := write(body.Prefix); err != nil {
			return
		}
		left -= int64(len(body.Prefix))
	}
	for left > 0 {
		p := filler
		if int64(len(p)) > left {
			p = p[:left]
		}
		if err := write(p); err != nil {
			return
		}
		left -= int64(len(p))
	}
	if body.Chunked {
		_, _ = w.WriteString("0\r\n\r\n")
	}
}

// Hold opens a request that declares a Content-Length of size but sends only
// its first byte, so the handler sits reading the body and holds its slot.
// The returned function closes the connection (the handler then fails its
// read and lets go).
func Hold(t testing.TB, target string, header http.Header, size int64) (release func()) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, requestHead(u, header, size, false)+"{"); err != nil {
		t.Fatal(err)
	}
	return func() { conn.Close() }
}

// WaitFor polls cond until it holds, failing the test after a minute (a
// hang, not a speed check).
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Allocated runs f and returns the bytes the whole process allocated
// meanwhile (runtime.MemStats.TotalAlloc): client, server and runtime
// together, so it bounds what the server spent from above.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
