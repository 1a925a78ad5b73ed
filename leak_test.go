package main

import (
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"custgraph/internal/quota"
	"custgraph/internal/sim"
)

// Marker secrets: if any of them (or its URL-encoded form) shows up in an
// answer or a log line, a credential leaked.
var markers = map[string]string{
	"CUSTGRAPH_U8_APP_KEY":        "MARKER-U8-APPKEY-7f3a",
	"CUSTGRAPH_U8_APP_SECRET":     "MARKER-U8-SECRET-91c2",
	"CUSTGRAPH_YCM_CLIENT_SECRET": "MARKER-YCM-SECRET-44d0",
	"CUSTGRAPH_CRM_PASSWORD":      "MARKER-CRM-PASSWORD-e5b8",
}

// leakQueries touch every source through every path: lists, lookups by
// id and by name.
var leakQueries = []string{
	`{ customers(first: 5) { edges { node { id name } } } }`,
	`{ customer(id: "u8:00000001") { id name matches { id } } }`,
	`{ customersByIds(ids: ["u8:00000002", "ycm:1", "crm:1"]) { id } }`,
	`{ sources { source healthy circuit lastError } }`,
}

// TestNoSecretLeaks drives every failure mode with marker secrets in the
// configuration, and searches every answer and every log line for them,
// and for the names of the query parameters U8 puts its token and keys in.
func TestNoSecretLeaks(t *testing.T) {
	dead := func() string { // a port nothing listens on
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return "http://" + ln.Addr().String()
	}()
	modes := []struct {
		name  string
		sim   sim.Options
		env   func(s *simServer) map[string]string
		setup func(s *simServer)
	}{
		{"vendor unreachable", sim.Options{}, func(s *simServer) map[string]string {
			return map[string]string{"CUSTGRAPH_U8_BASE_URL": dead + "/u8", "CUSTGRAPH_YCM_BASE_URL": dead + "/ycm", "CUSTGRAPH_CRM_BASE_URL": dead + "/crm"}
		}, nil},
		{"wrong credentials", sim.Options{}, func(*simServer) map[string]string { return markers }, nil},
		{"vendor error envelopes and 5xx", sim.Options{FailRate: 1}, nil, nil},
		{"timeouts", sim.Options{}, func(*simServer) map[string]string {
			return map[string]string{"CUSTGRAPH_U8_TIMEOUT": "100ms", "CUSTGRAPH_YCM_TIMEOUT": "100ms", "CUSTGRAPH_CRM_TIMEOUT": "100ms", "CUSTGRAPH_RETRIES": "0"}
		}, func(s *simServer) {
			for _, n := range sim.Names {
				s.Faults(n).Set(400*time.Millisecond, 0)
			}
		}},
		{"vendor down (dropped connections)", sim.Options{}, nil, func(s *simServer) {
			for _, n := range sim.Names {
				s.Faults(n).SetDown(true)
			}
		}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			o := m.sim
			o.Seed, o.Customers, o.CRMRate = 11, 20, quota.Rate{Off: true}
			s := startSim(t, o)
			extra := map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "off"}
			if m.env != nil {
				for k, v := range m.env(s) {
					extra[k] = v
				}
			}
			env := gatewayEnv(s, extra)
			// The secrets to look for are the ones configured: the
			// markers where credentials are wrong, the demo ones else.
			secrets := map[string]string{}
			for name := range markers {
				secrets[name] = env[name]
			}
			if m.setup != nil {
				m.setup(s)
			}
			addr, logs := start(t, env, "serve")
			var answers strings.Builder
			for _, q := range leakQueries {
				r := ask(t, addr, q, nil)
				answers.Write(r.Data)
				for _, e := range r.Errors {
					answers.WriteString(e.Message)
					for k, v := range e.Extensions {
						answers.WriteString(k + "=" + toString(v))
					}
				}
			}
			if !strings.Contains(logs.String(), "graphql error") || !strings.Contains(answers.String(), "DOWNSTREAM_SERVICE_ERROR") {
				t.Fatalf("this failure mode did not fail: nothing to search\n%s", logs)
			}
			for where, text := range map[string]string{"an answer": answers.String(), "the log": logs.String()} {
				for name, secret := range secrets {
					if strings.Contains(text, secret) || strings.Contains(text, url.QueryEscape(secret)) {
						t.Errorf("%s shows %s", where, name)
					}
				}
				if m := credentialParam.FindString(text); m != "" {
					t.Errorf("%s shows a credential parameter: %q", where, m)
				}
			}
		})
	}
}

// credentialParam is a credential as a query or config parameter with a
// value that is not masked ("***").
var credentialParam = regexp.MustCompile(`(app_key|app_secret|token|client_secret|password)=[^*\s"}&]`)

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}
