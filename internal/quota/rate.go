package quota

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a quota of N calls per Per, written "N/duration" ("10/10s").
// "0" and "off" turn it off.
type Rate struct {
	N   int
	Per time.Duration
	Off bool
}

// ParseRate reads "N/duration", "0" or "off".
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "0" || strings.EqualFold(s, "off") {
		return Rate{Off: true}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/duration such as 10/10s, or off", s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count <= 0 {
		return Rate{}, fmt.Errorf("rate %q: N must be a positive whole number", s)
	}
	d, err := time.ParseDuration(strings.TrimSpace(per))
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("rate %q: duration must be positive, such as 10s", s)
	}
	return Rate{N: count, Per: d}, nil
}

// String writes the rate back as ParseRate reads it.
func (r Rate) String() string {
	if r.Off {
		return "off"
	}
	if r.N == 0 {
		return "default"
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}
