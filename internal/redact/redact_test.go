package redact

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct{ give, want string }{
		{"", ""},
		{"https://api.example.com", "https://api.example.com"},
		// U8 puts its token and app_key in the query.
		{"https://api.yonyouup.com/api/customer/get?token=T0K&app_key=K3Y#frag", "https://api.yonyouup.com/api/customer/get"},
		{"http://user:pw@127.0.0.1:1/x?y=z", "http://***@127.0.0.1:1/x"},
		// Redis: the password, and the user name with it.
		{"rediss://:S3CRET-PW@redis.example.com:6380/2", "rediss://***@redis.example.com:6380/2"},
		{"redis://acl-user:S3CRET-PW@redis:6379", "redis://***@redis:6379"},
		{"redis://redis:6379/0?dial_timeout=1s", "redis://redis:6379/0"},
		// url.Parse refuses these; they are redacted all the same.
		{"redis://:pa%zz@redis:6379", "redis://***@redis:6379"},
		{"redis://:pa/ss@redis:6379", "redis://***@redis:6379"},
		{"http://host:port?token=T0K", "http://host:port"},
		// Written without "//", user info hides in the opaque part.
		{"user:S3CRET-PW@redis:6379", "user:***@redis:6379"},
		{"/relative/path?token=T0K", "/relative/path"},
		{"http://user:pw@", "http://***@"},
		{"//user:pw@host/x", "//***@host/x"},
	}
	for _, tt := range tests {
		if got := URL(tt.give); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct{ give, want string }{
		{`Get "https://api.yonyouup.com/system/token?app_secret=s3cr3t": EOF`, `Get https://api.yonyouup.com/system/token EOF`},
		{"dial redis://:pw@redis:6379/0 refused", "dial redis://***@redis:6379/0 refused"},
		{"plain words", "plain words"},
		{"  spacing\tkept  ", "  spacing\tkept  "},
	}
	for _, tt := range tests {
		if got := Text(tt.give); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestError(t *testing.T) {
	if Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
	ue := &url.Error{Op: "Get", URL: "http://user:pw@127.0.0.1:1/api/customer/get?token=SECRET-TOKEN&app_key=KEY123",
		Err: fmt.Errorf("read: %w", context.DeadlineExceeded)}
	other := fmt.Errorf("call https://crm.example.com/api?password=PW-1 failed: %w", context.Canceled)
	for _, tt := range []struct {
		err    error
		inner  error
		secret []string
		keep   string
	}{
		{ue, context.DeadlineExceeded, []string{"SECRET-TOKEN", "KEY123", "pw@"}, "/api/customer/get"},
		{other, context.Canceled, []string{"PW-1"}, "https://crm.example.com/api"},
	} {
		got := Error(tt.err)
		for _, s := range tt.secret {
			if strings.Contains(got.Error(), s) {
				t.Errorf("%q holds %q", got, s)
			}
		}
		if !strings.Contains(got.Error(), tt.keep) {
			t.Errorf("%q lost %q, which logs need", got, tt.keep)
		}
		if !errors.Is(got, tt.inner) {
			t.Errorf("%q does not match %v", got, tt.inner)
		}
	}
}
