package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/sim"
)

// TestSIGTERMLetsRequestsInFlightFinish runs the real binary: a request in
// flight when SIGTERM arrives still gets its answer, new connections are
// refused, and the process exits 0.
func TestSIGTERMLetsRequestsInFlightFinish(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "custgraph")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := startSim(t, sim.Options{Seed: 10, Customers: 30, CRMRate: quota.Rate{Off: true}})
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "CUSTGRAPH_ADDR=127.0.0.1:0")
	for k, v := range gatewayEnv(s, map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off", "CUSTGRAPH_U8_CACHE_TTL": "0"}) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := reported.FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("no start line: %q %v\n%s", line, err, logs.String())
	}
	addr := m[1]
	go func() { _, _ = bufio.NewReader(stdout).WriteTo(new(bytes.Buffer)) }()

	// A slow U8: the request is still in flight when SIGTERM arrives.
	s.Faults("u8").Set(800*time.Millisecond, 0)
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		body, _ := json.Marshal(map[string]any{"query": `{ customer(id: "u8:00000001") { id name } }`})
		resp, err := http.Post("http://"+addr+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		done <- result{body: b.String()}
	}()
	time.Sleep(300 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || !strings.Contains(r.body, `"id":"u8:00000001"`) {
		t.Fatalf("the request in flight got %q, %v", r.body, r.err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20 s after SIGTERM\n%s", logs.String())
	}
	t.Logf("SIGTERM during a request: answered, exit 0 after %v", time.Since(sent).Round(time.Millisecond))
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("still accepting connections after exiting")
	}
}
