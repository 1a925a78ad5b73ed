package main

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
	h := middleware.RequestID(accessLog(log)(recoverer(log)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
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
