package config

import (
	"fmt"
	"sort"
	"strings"
)

// notSettings are CUSTGRAPH_* variables that are read, though not by
// serve, so finding one in serve's environment is no typo.
var notSettings = map[string]bool{
	// internal/redistest.RequireEnv: `make test` sets it so that a
	// missing redis-server fails the Redis tests instead of skipping them.
	"CUSTGRAPH_REQUIRE_REDIS": true,
}

// Unknown reports every CUSTGRAPH_* variable of environ (os.Environ's
// "NAME=value" entries, or bare names) that is no setting, each with the
// known variable closest to it: a misspelt variable is otherwise silently
// ignored, and a misspelt base URL silently starts demo mode. The prefix
// is matched in any case, since custgraph_demo is as surely a mistake.
// The messages are sorted by name; none when all is well.
//
// For example, CUSTGRAPH_U8_BASEURL=https://… gives
// "CUSTGRAPH_U8_BASEURL is not a custgraph setting; did you mean CUSTGRAPH_U8_BASE_URL?".
func Unknown(environ []string) []string {
	known := map[string]bool{}
	var names []string
	each(func(_ section, s setting) {
		known[s.name] = true
		names = append(names, s.name)
	})
	seen := map[string]bool{}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		upper := strings.ToUpper(name)
		if !strings.HasPrefix(upper, envPrefix) || known[name] || notSettings[name] || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, fmt.Sprintf("%s is not a custgraph setting; did you mean %s?", name, closest(upper, names)))
	}
	sort.Strings(out)
	return out
}

// closest is the name of names nearest to s by edit distance, the first
// of them on a tie.
func closest(s string, names []string) string {
	best, bestD := "", -1
	for _, n := range names {
		if d := distance(s, n); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the optimal string alignment distance of a and b: the
// insertions, deletions, substitutions and swaps of adjacent characters
// that turn one into the other, swaps counting once since a swap is a
// typo of its own (CUSTGRAPH_DMEO).
func distance(a, b string) int {
	// Three rows of the table suffice: a swap looks two rows back.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
