package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"custgraph/internal/customer"
)

func TestRedactURLError(t *testing.T) {
	c := NewClient(ClientOptions{Timeout: time.Second})
	req, _ := http.NewRequest("GET", "http://user:pw@127.0.0.1:1/api/customer/get?token=SECRET-TOKEN&app_key=KEY123", nil)
	_, _, err := Fetch(c, req, customer.U8)
	if err == nil {
		t.Fatal("a call to a closed port succeeded")
	}
	var e *customer.Error
	if !errors.As(err, &e) || e.Reason != customer.ReasonUnavailable || e.Source != customer.U8 {
		t.Fatalf("got %#v, want an UNAVAILABLE U8 error", err)
	}
	for _, text := range []string{err.Error(), e.Err.Error()} {
		for _, secret := range []string{"SECRET-TOKEN", "KEY123", "pw@"} {
			if strings.Contains(text, secret) {
				t.Errorf("error text %q holds %q", text, secret)
			}
		}
	}
	if !strings.Contains(e.Err.Error(), "/api/customer/get") {
		t.Errorf("cause %q lost the path, which logs need", e.Err)
	}
}

func TestFetchTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/x?token=abc", nil)
	_, _, err := Fetch(NewClient(ClientOptions{}), req, customer.CRM)
	var e *customer.Error
	if !errors.As(err, &e) || e.Reason != customer.ReasonTimeout {
		t.Fatalf("got %v, want TIMEOUT", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v does not match context.DeadlineExceeded", err)
	}
	if strings.Contains(e.Err.Error(), "token=abc") {
		t.Errorf("cause %q holds the query", e.Err)
	}
}
