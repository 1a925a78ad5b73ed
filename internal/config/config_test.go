package config

import (
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaultsToDemo(t *testing.T) {
	c, err := Load(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || !c.DemoMode() {
		t.Errorf("got addr %q demo %v, want 127.0.0.1:8080 and demo mode", c.Addr, c.DemoMode())
	}
}

func TestLoadErrorsNameTheVariableAndHideSecrets(t *testing.T) {
	_, err := Load(envOf(map[string]string{
		"CUSTGRAPH_U8_BASE_URL":       "https://api.example.com",
		"CUSTGRAPH_U8_APP_SECRET":     "TOPSECRET",
		"CUSTGRAPH_CRM_BASE_URL":      "ftp://nope",
		"CUSTGRAPH_CRM_PASSWORD":      "PW-SECRET",
		"CUSTGRAPH_DEMO":              "maybe",
		"CUSTGRAPH_YCM_BASE_URL":      "https://u:p@ycm.example.com",
		"CUSTGRAPH_YCM_CLIENT_ID":     "id",
		"CUSTGRAPH_YCM_CLIENT_SECRET": "YCM-SECRET",
	}))
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	msg := err.Error()
	for _, want := range []string{"CUSTGRAPH_DEMO", "CUSTGRAPH_U8_FROM_ACCOUNT", "CUSTGRAPH_U8_APP_KEY",
		"CUSTGRAPH_CRM_BASE_URL", "CUSTGRAPH_CRM_LOGIN", "CUSTGRAPH_YCM_BASE_URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %s", msg, want)
		}
	}
	for _, secret := range []string{"TOPSECRET", "PW-SECRET", "YCM-SECRET", "u:p@"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error %q shows a secret", msg)
		}
	}
}

func TestDemoOffNeedsAnUpstream(t *testing.T) {
	_, err := Load(envOf(map[string]string{"CUSTGRAPH_DEMO": "off"}))
	if err == nil || !strings.Contains(err.Error(), "no upstream") {
		t.Fatalf("got %v, want a clear refusal", err)
	}
}

func TestStringMasksSecrets(t *testing.T) {
	c, err := Load(envOf(map[string]string{
		"CUSTGRAPH_U8_BASE_URL": "https://u8.example.com", "CUSTGRAPH_U8_FROM_ACCOUNT": "f",
		"CUSTGRAPH_U8_TO_ACCOUNT": "t", "CUSTGRAPH_U8_APP_KEY": "APPKEY1", "CUSTGRAPH_U8_APP_SECRET": "APPSECRET1",
		"CUSTGRAPH_CRM_BASE_URL": "https://crm.example.com", "CUSTGRAPH_CRM_LOGIN": "138", "CUSTGRAPH_CRM_PASSWORD": "CRMPW1",
		"CUSTGRAPH_U8_SELF_DEFINE_LABELS": "2=结算方式, 1=信用等级",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, secret := range []string{"APPKEY1", "APPSECRET1", "CRMPW1"} {
		if strings.Contains(s, secret) {
			t.Errorf("String() %q shows %s", s, secret)
		}
	}
	if !strings.Contains(s, "u8_self_define_labels=1=信用等级,2=结算方式") || c.DemoMode() {
		t.Errorf("got %q", s)
	}
}

func TestParseLabels(t *testing.T) {
	tests := []struct {
		give    string
		want    map[int]string
		wantErr bool
	}{
		{"", map[int]string{}, false},
		{"1=信用等级,2=结算方式", map[int]string{1: "信用等级", 2: "结算方式"}, false},
		{"17=x", nil, true},
		{"0=x", nil, true},
		{"a=x", nil, true},
		{"3=", nil, true},
		{"3", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseLabels(tt.give)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseLabels(%q) error %v, want error %v", tt.give, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && len(got) != len(tt.want) {
			t.Errorf("ParseLabels(%q) = %v, want %v", tt.give, got, tt.want)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("ParseLabels(%q)[%d] = %q, want %q", tt.give, k, got[k], v)
			}
		}
	}
}

// The sync interval is 5 s in demo mode (local simulators, changes seen
// in the IDE within seconds) and 30 s otherwise; a value set is kept in
// both.
func TestSyncIntervalFollowsDemoMode(t *testing.T) {
	prod := map[string]string{"CUSTGRAPH_U8_BASE_URL": "http://u8.example:8080/u8", "CUSTGRAPH_U8_FROM_ACCOUNT": "a",
		"CUSTGRAPH_U8_TO_ACCOUNT": "a", "CUSTGRAPH_U8_APP_KEY": "k", "CUSTGRAPH_U8_APP_SECRET": "s"}
	for _, c := range []struct {
		env  map[string]string
		want time.Duration
	}{
		{nil, 5 * time.Second},
		{map[string]string{"CUSTGRAPH_SYNC_INTERVAL": "1m"}, time.Minute},
		{prod, 30 * time.Second},
		{merged(prod, map[string]string{"CUSTGRAPH_SYNC_INTERVAL": "2s"}), 2 * time.Second},
	} {
		cfg, err := Load(envOf(c.env))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Directory.Interval != c.want {
			t.Errorf("demo %v, CUSTGRAPH_SYNC_INTERVAL %q: %s, want %s", cfg.DemoMode(), c.env["CUSTGRAPH_SYNC_INTERVAL"], cfg.Directory.Interval, c.want)
		}
	}
}

func merged(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestAccessLogSetting(t *testing.T) {
	for v, want := range map[string]int{"": 1, "on": 1, "OFF": 0, "1/100": 100, "1/1": 1} {
		c, err := Load(envOf(map[string]string{"CUSTGRAPH_ACCESS_LOG": v}))
		if err != nil || c.Edge.AccessLog != want {
			t.Errorf("%q: %d %v, want %d", v, c.Edge.AccessLog, err, want)
		}
	}
	for _, v := range []string{"1/0", "2/3", "sometimes", "1/-4"} {
		if _, err := Load(envOf(map[string]string{"CUSTGRAPH_ACCESS_LOG": v})); err == nil || !strings.Contains(err.Error(), "CUSTGRAPH_ACCESS_LOG") {
			t.Errorf("%q: %v, want an error naming the variable", v, err)
		}
	}
}
