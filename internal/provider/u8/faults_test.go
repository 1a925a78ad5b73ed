package u8

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"custgraph/internal/customer"
	"custgraph/internal/sim/fault"
)

func write(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func drop(w http.ResponseWriter, _ *http.Request) { fault.Hangup(w) }

// TestFailureMapping drives every failure shape through the client and
// checks the reason and upstream code the service will see.
func TestFailureMapping(t *testing.T) {
	tests := []struct {
		name   string
		api    http.HandlerFunc
		reason customer.Reason
		code   string
	}{
		{"gateway 502 page", write(502, "<html><title>502 Bad Gateway</title></html>"), customer.ReasonUnavailable, ""},
		{"gateway 503", write(503, "Service Temporarily Unavailable"), customer.ReasonUnavailable, ""},
		{"HTTP 429", write(429, "too many"), customer.ReasonRateLimited, ""},
		{"HTTP 403", write(403, "forbidden"), customer.ReasonAuth, ""},
		{"HTTP 404", write(404, "not found"), customer.ReasonRejected, ""},
		{"dropped connection", drop, customer.ReasonUnavailable, ""},
		{"HTML with 200", write(200, "<html>维护中</html>"), customer.ReasonBadResponse, ""},
		{"truncated JSON", write(200, `{"errcode":"0","customer":{"code":"1"`), customer.ReasonBadResponse, ""},
		{"no errcode", write(200, `{"customer":{"code":"1"}}`), customer.ReasonBadResponse, ""},
		{"customer without code", write(200, `{"errcode":"0","customer":{"name":"甲"}}`), customer.ReasonBadResponse, ""},
		{"no customer", write(200, `{"errcode":"0","errmsg":""}`), customer.ReasonBadResponse, ""},
		{"agent offline", write(200, `{"errcode":"30050","errmsg":"连接企业U8服务器失败"}`), customer.ReasonUnavailable, "30050"},
		{"app not online", write(200, `{"errcode":"30021","errmsg":"此应用未上线"}`), customer.ReasonAuth, "30021"},
		{"to_account refused", write(200, `{"errcode":"30003","errmsg":"提供方账号不存在"}`), customer.ReasonAuth, "30003"},
		{"token refused twice", write(200, `{"errcode":"40404","errmsg":"Token已失效"}`), customer.ReasonAuth, "40404"},
		{"other business error", write(200, `{"errcode":"99999","errmsg":"系统繁忙"}`), customer.ReasonRejected, "99999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fakeClient(t, fakeU8(t, tt.api))
			_, err := c.Get(context.Background(), "00000001")
			wantUpstream(t, err, tt.reason, tt.code)
			_, err = c.List(context.Background(), customer.ListQuery{})
			if tt.name != "no customer" { // a list may be empty
				wantUpstream(t, err, tt.reason, tt.code)
			}
		})
	}
}

func TestTokenFailureMapping(t *testing.T) {
	tests := []struct {
		name   string
		token  http.HandlerFunc
		reason customer.Reason
		code   string
	}{
		{"credentials refused", write(200, `{"errcode":"30001","errmsg":"应用不存在或密钥错误"}`), customer.ReasonAuth, "30001"},
		{"unknown refusal", write(200, `{"errcode":"31000","errmsg":"账号已停用"}`), customer.ReasonAuth, "31000"},
		{"agent offline", write(200, `{"errcode":"30050","errmsg":"连接失败"}`), customer.ReasonUnavailable, "30050"},
		{"no token id", write(200, `{"errcode":"0","errmsg":"成功","token":{"expiresIn":7200}}`), customer.ReasonBadResponse, ""},
		{"gateway 502", write(502, "<html>502</html>"), customer.ReasonUnavailable, ""},
		{"dropped", drop, customer.ReasonUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("/system/token", tt.token)
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				t.Errorf("API call %s without a token", r.URL.Path)
			})
			srv := fakeServer(t, mux)
			_, err := fakeClient(t, srv).Get(context.Background(), "00000001")
			wantUpstream(t, err, tt.reason, tt.code)
		})
	}
}

func TestTimeout(t *testing.T) {
	c := fakeClient(t, fakeU8(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, "00000001")
	wantUpstream(t, err, customer.ReasonTimeout, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v does not match context.DeadlineExceeded", err)
	}
}

// TestNoSecretInErrors fails calls in every way while a token, app key and
// secret are in play, and looks for them in every text of the error.
func TestNoSecretInErrors(t *testing.T) {
	const (
		key    = "opa-KEY-c0ffee42"
		secret = "SECRET-5ee1de7a"
	)
	tests := []struct {
		name     string
		api      http.HandlerFunc
		close    bool // the server is gone before the call
		hasToken bool // a token was fetched before the failure
	}{
		{"server closed before the token", nil, true, false},
		{"server closed with a token", nil, true, true},
		{"gateway 502", write(502, "<html>502 GET /api/customer/get?token="+fakeToken+"&app_key="+key+"</html>"), false, true},
		{"bad JSON", write(200, `{"errcode":"0","customer":{"code":`+fakeToken), false, true},
		{"errmsg echoes secrets", write(200, `{"errcode":"30002","errmsg":"token `+fakeToken+` of app_key=`+key+` invalid, app_secret `+secret+`"}`), false, true},
		{"timeout", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := tt.api
			if api == nil {
				api = serveBody([]byte(`{"errcode":"0","customer":{"code":"00000001","name":"甲"}}`))
			}
			srv := fakeU8(t, api)
			cfg := demoConfig(srv.URL)
			cfg.AppKey, cfg.AppSecret = key, secret
			cfg.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tt.hasToken {
				if _, err := c.token.Get(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if tt.close {
				srv.Close()
			}
			_, err = c.Get(context.Background(), "00000001")
			if err == nil {
				t.Fatal("the call succeeded")
			}
			text := errText(err)
			for _, s := range []string{fakeToken, key, secret, "token=", "app_secret="} {
				if strings.Contains(text, s) {
					t.Errorf("error text holds %q:\n%s", s, text)
				}
			}
			if customer.AsError(err).Code != customer.CodeUpstream {
				t.Errorf("got %v, want an upstream error", err)
			}
		})
	}
}
