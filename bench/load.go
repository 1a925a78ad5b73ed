package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

// request is what a load run sends over and over, and how it tells a
// good answer.
type request struct {
	method, url string
	body        []byte
	header      http.Header
	good        func(status int, body []byte) bool
}

// loadConfig sizes a closed-loop run: concurrency workers, each sending
// its next request as soon as the previous one is answered.
type loadConfig struct {
	concurrency      int
	warmup, duration time.Duration
}

// newClient is the one HTTP client of the load generator: keep-alive,
// enough idle connections for every worker, no compression.
func newClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        4 * concurrency,
			MaxIdleConnsPerHost: 2 * concurrency,
			IdleConnTimeout:     2 * time.Minute,
			DisableCompression:  true,
		},
	}
}

// measure warms the gateway up for cfg.warmup, stops, calls
// beforeMeasure (which resets the simulator's counters), then measures for
// cfg.duration.
func measure(ctx context.Context, c *http.Client, req request, cfg loadConfig, beforeMeasure func() error) (runResult, error) {
	if cfg.warmup > 0 {
		phase(ctx, c, req, cfg.concurrency, cfg.warmup)
	}
	if err := beforeMeasure(); err != nil {
		return runResult{}, err
	}
	lat, ok, failed, elapsed := phase(ctx, c, req, cfg.concurrency, cfg.duration)
	return newRunResult(lat, ok, failed, elapsed), ctx.Err()
}

// phase runs the closed loop for d: no worker starts a request after d,
// and the phase lasts until the last answer is in. It returns the latency
// of every response, how many were good and how many requests failed.
func phase(ctx context.Context, c *http.Client, req request, concurrency int, d time.Duration) (lat []time.Duration, ok, failed int, elapsed time.Duration) {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range concurrency {
		wg.Go(func() {
			var (
				mine           []time.Duration
				myOK, myFailed int
				buf            bytes.Buffer
			)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				good, answered := send(ctx, c, req, &buf)
				if answered {
					mine = append(mine, time.Since(t0))
				}
				if good {
					myOK++
				} else {
					myFailed++
				}
				if !answered { // do not spin on a refused connection
					time.Sleep(10 * time.Millisecond)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			ok += myOK
			failed += myFailed
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, ok, failed, time.Since(start)
}

// probe sends req one at a time, at most n times and for about d, and
// returns the latencies of the answers: what one query costs alone, with
// no identical query in flight to share vendor calls with.
func probe(ctx context.Context, c *http.Client, req request, n int, d time.Duration) (lat []time.Duration, failed int) {
	var buf bytes.Buffer
	deadline := time.Now().Add(d)
	for i := 0; i < n && ctx.Err() == nil && time.Now().Before(deadline); i++ {
		t0 := time.Now()
		good, answered := send(ctx, c, req, &buf)
		if answered {
			lat = append(lat, time.Since(t0))
		}
		if !good {
			failed++
		}
	}
	return lat, failed
}

// send makes one request and reads the whole answer.
func send(ctx context.Context, c *http.Client, req request, buf *bytes.Buffer) (good, answered bool) {
	var body io.Reader = http.NoBody
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	r, err := http.NewRequestWithContext(ctx, req.method, req.url, body)
	if err != nil {
		return false, false
	}
	r.Header = req.header
	resp, err := c.Do(r)
	if err != nil {
		return false, false
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return false, false
	}
	return req.good(resp.StatusCode, buf.Bytes()), true
}

// graphQLRequest posts query to url; a good answer is HTTP 200 with data
// and no errors.
func graphQLRequest(url, query string) request {
	body, _ := json.Marshal(map[string]string{"query": query})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	return request{method: http.MethodPost, url: url, body: body, header: h, good: goodGraphQL}
}

func goodGraphQL(status int, body []byte) bool {
	return status == http.StatusOK && bytes.Contains(body, []byte(`"data"`)) && !bytes.Contains(body, []byte(`"errors"`))
}
