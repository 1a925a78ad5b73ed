package scalar

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"custgraph/internal/customer"
)

// MarshalDateTime writes an instant as RFC 3339 with its offset (the
// upstreams' local times carry +08:00), with milliseconds when it has
// any: the vendors' times are whole seconds and read as before, while
// custgraph's own (a change's at, a sync's lastSyncedAt) tell a latency.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = w.Write(AppendDateTime(nil, t))
	})
}

// AppendDateTime appends what MarshalDateTime writes (graph's compiled
// writer uses it, so that both write the same bytes).
func AppendDateTime(b []byte, t time.Time) []byte {
	return strconv.AppendQuote(b, t.Truncate(time.Millisecond).Format(dateTimeLayout))
}

// dateTimeLayout is RFC 3339 with at most three fractional digits, left
// out when zero.
const dateTimeLayout = "2006-01-02T15:04:05.999Z07:00"

// UnmarshalDateTime reads RFC 3339 (an offset is required; the seconds'
// fraction is optional). A bad value is the client's mistake.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, customer.BadInputf("DateTime must be a string such as 2019-02-15T17:36:00+08:00")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, customer.BadInputf("DateTime %q is not RFC 3339, e.g. 2019-02-15T17:36:00+08:00", s)
	}
	return t, nil
}
