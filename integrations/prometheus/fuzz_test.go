package prometheus

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// canned answers every request with one status and body.
type canned struct {
	status int
	body   []byte
}

func (c canned) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: c.status, Body: io.NopCloser(bytes.NewReader(c.body)), Header: http.Header{}, Request: r}, nil
}

// fuzzPassword is in the client's base URL; no error may show it.
const fuzzPassword = "s3cr3t-canary-pw"

// FuzzQueryResponse answers an instant query with an arbitrary status and
// body. Nothing may panic; a result or an *APIError comes back, never
// both; no error shows the base URL's password unless the body held it; a
// result is a vector or a scalar and its sum, which skips NaN and infinite samples,
// is a number.
func FuzzQueryResponse(f *testing.F) {
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"service":"checkout"},"value":[1714521600.123,"0.25"]},{"metric":{},"value":[1714521600,"NaN"]}]},"warnings":["partial"]}`))
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"scalar","result":[1714521600,"+Inf"]}}`))
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]}]}}`))
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"vector","result":[{"value":["1714521600","1"]}]}}`))
	f.Add(200, []byte(`{"status":"success","data":{"resultType":"scalar","result":[1e300,"1"]}}`))
	f.Add(400, []byte(`{"status":"error","errorType":"bad_data","error":"parse error at char 5: `+fuzzPassword+`"}`))
	f.Add(503, []byte(`{"status":"error","errorType":"unavailable","error":"overloaded"}`))
	f.Add(200, []byte("<html>proxy</html>"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		c, err := New("https://platbot:"+fuzzPassword+"@prometheus.monitoring:9090/prom/", WithRetries(0),
			WithHTTPClient(&http.Client{Transport: canned{status, body}}))
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Query(context.Background(), `sum(rate(http_requests_total{service="checkout"}[5m]))`, time.Unix(1714521600, 0))
		if err != nil {
			if res != nil {
				t.Fatalf("both a result and an error: %v", err)
			}
			if msg := err.Error(); strings.Contains(msg, fuzzPassword) && !bytes.Contains(body, []byte(fuzzPassword)) {
				t.Fatalf("error shows the password: %s", msg)
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error is not an APIError: %v", err)
			}
			return
		}
		if status != http.StatusOK {
			t.Fatalf("status %d gave a result", status)
		}
		if res.Type != "vector" && res.Type != "scalar" {
			t.Fatalf("result of type %q", res.Type)
		}
		if v, ok := res.Sum(); ok && math.IsNaN(v) {
			t.Fatalf("sum of %v is NaN", res.Samples)
		}
	})
}
