package inbound

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
)

// TestPanicBecomesInternalErrorWithoutLeaks: a panic outside the GraphQL
// executor answers "internal error" with the request ID; neither the
// answer nor the log holds the panic's URL query or a stack.
func TestPanicBecomesInternalErrorWithoutLeaks(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	h := middleware.RequestID(AccessLog(log)(Recoverer(log)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("GET https://api.example.com/api/customer/get?token=MARKER-TOKEN&app_key=MARKER-KEY: boom")
	}))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql?x=1", strings.NewReader("{}")))
	var body struct {
		Errors []struct {
			Message    string
			Extensions map[string]string
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusInternalServerError {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if len(body.Errors) != 1 || body.Errors[0].Message != "internal error" || body.Errors[0].Extensions["requestId"] == "" ||
		body.Errors[0].Extensions["code"] != "INTERNAL_SERVER_ERROR" {
		t.Errorf("answer %s", rec.Body)
	}
	for _, text := range []string{rec.Body.String(), logs.String()} {
		if strings.Contains(text, "MARKER") || strings.Contains(text, "goroutine ") || strings.Contains(text, ".go:") {
			t.Errorf("leaked a secret or a stack: %s", text)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"panic"`) || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("log: %s", logs.String())
	}
}

// TestClientAddress: behind a trusted proxy the client is the address the
// proxy wrote (X-Forwarded-For's last entry, Forwarded's last for=, or a
// header of one address); otherwise, or when the header holds no address,
// the connection's. IPv6 clients count by their /64.
func TestClientAddress(t *testing.T) {
	tests := []struct {
		name, header string
		values       []string
		remote, want string
	}{
		{"no header configured", "", []string{"203.0.113.9"}, "192.0.2.1:5555", "192.0.2.1"},
		{"X-Forwarded-For, last entry", "X-Forwarded-For", []string{"10.0.0.1, 203.0.113.7"}, "192.0.2.1:5555", "203.0.113.7"},
		{"X-Forwarded-For over two lines", "X-Forwarded-For", []string{"10.0.0.1", "198.51.100.4"}, "192.0.2.1:5555", "198.51.100.4"},
		{"X-Real-IP", "X-Real-IP", []string{"198.51.100.4"}, "192.0.2.1:5555", "198.51.100.4"},
		{"Forwarded", "Forwarded", []string{`for=10.0.0.1, for="[2001:db8:cafe::17]:4711";proto=https`}, "192.0.2.1:5555", "2001:db8:cafe::"},
		{"Forwarded with a port", "Forwarded", []string{"for=198.51.100.4:9000"}, "192.0.2.1:5555", "198.51.100.4"},
		{"no address in the header", "X-Forwarded-For", []string{"unknown"}, "192.0.2.1:5555", "192.0.2.1"},
		{"header absent", "X-Forwarded-For", nil, "[2001:db8::1]:5555", "2001:db8::"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.values {
				r.Header.Add("X-Forwarded-For", v)
				r.Header.Add("X-Real-IP", v)
				r.Header.Add("Forwarded", v)
			}
			if got := clientAddress(r, tt.header); got != tt.want {
				t.Errorf("clientAddress = %q, want %q", got, tt.want)
			}
		})
	}
}
