// Package scalar holds the marshalers of custgraph's custom GraphQL scalars
// that are not in gqlgen (DateTime uses gqlgen's graphql.Time).
package scalar

import (
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"custgraph/internal/customer"
)

// dateLayout is the Date scalar's form, YYYY-MM-DD.
const dateLayout = "2006-01-02"

// MarshalDate writes a calendar date as YYYY-MM-DD in Asia/Shanghai, the
// zone the upstreams' dates are in.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.In(customer.Shanghai).Format(dateLayout)))
	})
}

// UnmarshalDate reads YYYY-MM-DD as midnight Asia/Shanghai.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, customer.BadInputf("Date must be a string YYYY-MM-DD")
	}
	t, err := time.ParseInLocation(dateLayout, s, customer.Shanghai)
	if err != nil {
		return time.Time{}, customer.BadInputf("Date %q is not YYYY-MM-DD", s)
	}
	return t, nil
}
