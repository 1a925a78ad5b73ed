package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/sim"
)

// reported reads the address a command reports on stdout (serve: "GraphQL
// IDE at http://ADDR/"; sim: "U8:  http://ADDR/u8") from its output lines,
// for commands asked to bind port 0.
var reported = regexp.MustCompile(`(?m)(?:GraphQL IDE at|U8:) +http://([^/\s]+)/`)

// addrOf waits until out holds the address its command reported, or done
// yields the command's end.
func addrOf(t *testing.T, out *syncBuffer, done <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if m := reported.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("run ended before reporting its address: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no address reported within 15 s\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// environ is env as os.Environ gives a process's environment.
func environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs `custgraph args…` on port 0 until the test ends, and returns
// the address it reported once /healthz answers.
func start(t *testing.T, env map[string]string, args ...string) (addr string, logs *syncBuffer) {
	t.Helper()
	r := startRun(t, env, args...)
	return r.addr, r.logs
}

// running is a `custgraph` started in process by startRun.
type running struct {
	addr string
	logs *syncBuffer
	// stop ends it (as SIGTERM would) and waits; it is also called when
	// the test ends.
	stop func()
}

// startRun runs `custgraph args…` (serve when none) on port 0 until stop
// or the end of the test.
func startRun(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	if len(args) == 0 {
		args = []string{"serve"}
	}
	if env == nil {
		env = map[string]string{}
	}
	env["CUSTGRAPH_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"custgraph"}, args...), environ(env), logs, logs)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run returned %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("run did not stop after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	addr := addrOf(t, logs, done)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v\n%s", err, logs)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %d\n%s", resp.StatusCode, logs)
	}
	return &running{addr: addr, logs: logs, stop: stop}
}

func TestRunServesDemoMode(t *testing.T) {
	addr, logs := start(t, nil, "serve")
	body := `{"query":"{ customer(id: \"u8:00000001\") { id name source u8 { code } } sources { source enabled } }"}`
	resp, err := http.Post("http://"+addr+"/graphql", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Data struct {
			Customer struct{ ID, Name, Source string }
			Sources  []struct {
				Source  string
				Enabled bool
			}
		}
		Errors []any
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.Errors) > 0 || got.Data.Customer.ID != "u8:00000001" || got.Data.Customer.Name == "" {
		t.Fatalf("got %+v", got)
	}
	for _, s := range got.Data.Sources {
		if !s.Enabled {
			t.Errorf("%s not enabled in demo mode", s.Source)
		}
	}
	if !strings.Contains(logs.String(), "demo mode") {
		t.Errorf("the log does not say demo mode:\n%s", logs)
	}
	for _, secret := range []string{"demo-app-secret", "demo-secret", "demo-password"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log shows the secret %q", secret)
		}
	}
	// Demo mode's directory syncs the simulators into memory: READY soon,
	// and no file left in the working directory.
	waitDirectoryReady(t, addr, 30*time.Second)
	if _, err := os.Stat("data"); !os.IsNotExist(err) {
		t.Errorf("demo mode wrote ./data (%v); its directory belongs in memory", err)
	}
	for _, path := range []string{"/", "/readyz"} {
		r, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, r.StatusCode)
		}
	}
}

func TestRunSim(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"custgraph", "sim", "-addr", "127.0.0.1:0", "-customers", "20", "-crm-rate-limit", "0"}, nil, &out, &out)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sim returned %v", err)
		}
	}()
	addr := addrOf(t, &out, done)
	resp, err := http.Get("http://" + addr + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats struct {
		Calls    map[string]int `json:"calls"`
		Rejected map[string]int `json:"rejected"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil || stats.Calls == nil {
		t.Fatalf("stats: %v %+v", err, stats)
	}
}

func TestRunCommandLine(t *testing.T) {
	tests := []struct {
		args     []string
		env      map[string]string
		wantErr  string
		wantCode int
		wantOut  string
	}{
		{args: []string{"version"}, wantOut: "custgraph "},
		{args: []string{"--help"}, wantOut: "custgraph sim"},
		{args: []string{"frobnicate"}, wantErr: "unknown command", wantCode: 2},
		{args: []string{"serve", "extra"}, wantErr: "no arguments", wantCode: 2},
		{args: []string{"sim", "-fail-rate", "2"}, wantErr: "-fail-rate", wantCode: 2},
		{args: []string{"sim", "-crm-rate-limit", "ten"}, wantErr: "crm-rate-limit", wantCode: 2},
		{args: []string{"serve"}, env: map[string]string{"CUSTGRAPH_DEMO": "off"}, wantErr: "no upstream", wantCode: 1},
		{args: []string{"serve"}, env: map[string]string{"CUSTGRAPH_CRM_BASE_URL": "https://crm.example.com",
			"CUSTGRAPH_CRM_PASSWORD": "hunter2"}, wantErr: "CUSTGRAPH_CRM_LOGIN", wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"custgraph"}, tt.args...), environ(tt.env), &out, &out)
			if tt.wantErr == "" {
				if err != nil || !strings.Contains(out.String(), tt.wantOut) {
					t.Fatalf("got %v and %q, want success with %q", err, out.String(), tt.wantOut)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error mentioning %q", err, tt.wantErr)
			}
			if code := exitCode(err); code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			if strings.Contains(err.Error()+out.String(), "hunter2") {
				t.Error("a secret was printed")
			}
		})
	}
}

// TestUnknownVariableIsReported: a misspelt CUSTGRAPH_* variable (here a
// base URL, which left unread starts demo mode) is logged at start with
// the setting it most likely means.
func TestUnknownVariableIsReported(t *testing.T) {
	_, logs := start(t, map[string]string{"CUSTGRAPH_U8_BASEURL": "https://u8.example.com"}, "serve")
	if want := "CUSTGRAPH_U8_BASEURL is not a custgraph setting; did you mean CUSTGRAPH_U8_BASE_URL?"; !strings.Contains(logs.String(), want) {
		t.Errorf("the log does not say %q:\n%s", want, logs)
	}
}

// TestAccessLogKnob: every request has its line by default; sampled, one
// in N does, and every refusal.
func TestAccessLogKnob(t *testing.T) {
	s := startSim(t, sim.Options{Seed: 38, Customers: 10, CRMRate: quota.Rate{Off: true}})
	for _, c := range []struct {
		setting   string
		ok, fails int // requests answered 200, then 400
		want      int // lines
	}{
		{"", 3, 1, 5}, // and start's GET /healthz
		{"1/1000", 3, 1, 1},
		{"off", 3, 1, 0},
	} {
		addr, logs := start(t, gatewayEnv(s, map[string]string{"CUSTGRAPH_ACCESS_LOG": c.setting}), "serve")
		for range c.ok {
			ask(t, addr, `{ sources { source } }`, nil)
		}
		for range c.fails {
			resp, err := http.Post("http://"+addr+"/graphql", "application/json", strings.NewReader("not json"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		if got := strings.Count(logs.String(), `"msg":"request","request_id"`); got != c.want {
			t.Errorf("CUSTGRAPH_ACCESS_LOG=%q: %d lines, want %d:\n%s", c.setting, got, c.want, logs)
		}
	}
}
