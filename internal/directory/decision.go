package directory

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"custgraph/internal/customer"
)

// Decision is a person's verdict on whether two records of different
// sources are the same customer.
type Decision struct {
	// A and B are in canonical order: A before B (Source, then ID); see
	// NewDecision and Normalize.
	A, B Key
	// Same: true when confirmed the same customer, false when rejected.
	Same bool
	// By is the principal who decided ("apikey:01234567", "jwt:alice").
	By string
	At time.Time
}

// NewDecision returns the decision on the pair a, b in canonical order.
func NewDecision(a, b Key, same bool, by string, at time.Time) Decision {
	return Decision{A: a, B: b, Same: same, By: by, At: at}.Normalize()
}

// Normalize returns dec with its keys in canonical order (A before B)
// and its time in UTC, with no monotonic reading (so that it equals
// itself after a round trip through a store).
func (dec Decision) Normalize() Decision {
	if cmpKey(dec.B, dec.A) < 0 {
		dec.A, dec.B = dec.B, dec.A
	}
	dec.At = dec.At.UTC().Round(0)
	return dec
}

// Validate reports whether dec may be stored: two non-empty keys of two
// different known sources.
func (dec Decision) Validate() error {
	for _, k := range []Key{dec.A, dec.B} {
		if k.Source == "" || k.ID == "" {
			return fmt.Errorf("directory: a decision needs two records (source and ID), got %q/%q", k.Source, k.ID)
		}
		if s, err := customer.ParseSource(string(k.Source)); err != nil || s != k.Source {
			return fmt.Errorf("directory: a decision on a record of unknown source %q", k.Source)
		}
	}
	if dec.A.Source == dec.B.Source {
		return fmt.Errorf("directory: a decision links records of two different sources, got both of %s", dec.A.Source)
	}
	return nil
}

// equal reports whether a and b are the same verdict (At compared as an
// instant).
func (dec Decision) equal(o Decision) bool {
	return dec.A == o.A && dec.B == o.B && dec.Same == o.Same && dec.By == o.By && dec.At.Equal(o.At)
}

// pair is an unordered pair of records, in canonical order: what a
// decision is about, and its key in the directory.
type pair struct{ a, b Key }

func pairOf(a, b Key) pair {
	if cmpKey(b, a) < 0 {
		a, b = b, a
	}
	return pair{a, b}
}

func (dec Decision) pair() pair { return pairOf(dec.A, dec.B) }

// PairKey is how the stores key a pair's decision: the same for (a, b)
// and (b, a), and unambiguous whatever the IDs hold (a JSON array).
func PairKey(a, b Key) string {
	p := pairOf(a, b)
	v, _ := json.Marshal([]string{string(p.a.Source), p.a.ID, string(p.b.Source), p.b.ID})
	return string(v)
}

// storedDecision is a Decision as the stores encode it.
type storedDecision struct {
	A    storedKey `json:"a"`
	B    storedKey `json:"b"`
	Same bool      `json:"same"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

type storedKey struct {
	Source customer.Source `json:"source"`
	ID     string          `json:"id"`
}

// EncodeDecision is how the stores write a decision.
func EncodeDecision(dec Decision) ([]byte, error) {
	dec = dec.Normalize()
	return json.Marshal(storedDecision{A: storedKey(dec.A), B: storedKey(dec.B), Same: dec.Same, By: dec.By, At: dec.At})
}

// DecodeDecision reads what EncodeDecision wrote; a value that is not a
// valid decision is an error.
func DecodeDecision(b []byte) (Decision, error) {
	var s storedDecision
	if err := json.Unmarshal(b, &s); err != nil {
		return Decision{}, err
	}
	dec := Decision{A: Key(s.A), B: Key(s.B), Same: s.Same, By: s.By, At: s.At}.Normalize()
	if err := dec.Validate(); err != nil {
		return Decision{}, err
	}
	return dec, nil
}

// ErrMixedBatch is a batch that carries decisions and also records, a
// state or a source: decisions are written in batches of their own.
var ErrMixedBatch = errors.New("directory: a batch of decisions carries no source, records or state")

// Check reports whether b is a batch a store may commit: one source's
// records and state, or decisions alone.
func (b *Batch) Check() error {
	if len(b.Decisions) == 0 {
		if b.Source == "" {
			return errors.New("directory: a batch of records needs its source")
		}
		return nil
	}
	if b.Source != "" || len(b.Upserts) > 0 || len(b.Deletes) > 0 || b.State != nil {
		return ErrMixedBatch
	}
	for _, dec := range b.Decisions {
		if err := dec.Validate(); err != nil {
			return err
		}
	}
	return nil
}
