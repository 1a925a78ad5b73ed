package config

import (
	"slices"
	"testing"

	"custgraph/internal/redistest"
)

func TestUnknown(t *testing.T) {
	got := Unknown([]string{
		"PATH=/usr/bin",
		"CUSTGRAPH_U8_BASEURL=https://u8.example.com", // the typo: demo mode instead of U8
		"CUSTGRAPH_CRM_BASE_URL=https://crm.example.com",
		"CUSTGRAPH_DMEO=off",
		"CUSTGRAPH_CRM_PASWORD=x",
		"custgraph_addr=:8080",
		"CUSTGRAPH_REQUIRE_REDIS=1",
		"CUSTGRAPH_U8_BASEURL=again",
		"CUSTGRAPH_IDE",
		"CUSTGRAPH_YCM_RATELIMIT",
		"OTEL_SERVICE_NAME=custgraph",
		"",
	})
	want := []string{
		"CUSTGRAPH_CRM_PASWORD is not a custgraph setting; did you mean CUSTGRAPH_CRM_PASSWORD?",
		"CUSTGRAPH_DMEO is not a custgraph setting; did you mean CUSTGRAPH_DEMO?",
		"CUSTGRAPH_U8_BASEURL is not a custgraph setting; did you mean CUSTGRAPH_U8_BASE_URL?",
		"CUSTGRAPH_YCM_RATELIMIT is not a custgraph setting; did you mean CUSTGRAPH_YCM_RATE_LIMIT?",
		"custgraph_addr is not a custgraph setting; did you mean CUSTGRAPH_ADDR?",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Unknown:\n got %q\nwant %q", got, want)
	}
	if got := Unknown([]string{"CUSTGRAPH_DEMO=on", "HOME=/root"}); got != nil {
		t.Errorf("known variables reported: %q", got)
	}
}

// TestNotSettingsAreRead: a name is only let through if something reads it.
func TestNotSettingsAreRead(t *testing.T) {
	if !notSettings[redistest.RequireEnv] || len(notSettings) != 1 {
		t.Errorf("notSettings %v, want only %s", notSettings, redistest.RequireEnv)
	}
	each(func(_ section, s setting) {
		if notSettings[s.name] {
			t.Errorf("%s is a setting and in notSettings", s.name)
		}
	})
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"abc", "abc", 0},
		{"DEMO", "DMEO", 1}, {"BASEURL", "BASE_URL", 1}, {"kitten", "sitting", 3}, {"ca", "abc", 3},
	} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := distance(tt.b, tt.a); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}
