// Package lenient holds JSON types that accept what the vendors actually
// send rather than what their documents say: numbers as strings and strings
// as numbers (U8 mobile), "" mixed with null (CRM), booleans as "1" or
// "true", and fields that are a string in one record and an array in the
// next (CRM attachments).
package lenient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// String accepts a JSON string, number or boolean and keeps its text. null
// and "" both decode to "". Numbers keep their exact digits (a mobile
// number 13811388661 stays "13811388661", never 1.3811388661e+10).
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*s = ""
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = String(v)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9') || string(b) == "true" || string(b) == "false":
		*s = String(b)
	default:
		return fmt.Errorf("lenient.String: cannot read %.20s", b)
	}
	return nil
}

// Ptr returns nil for "" (the vendor left it out or sent null) and a
// pointer to the trimmed text otherwise.
func (s String) Ptr() *string {
	v := strings.TrimSpace(string(s))
	if v == "" {
		return nil
	}
	return &v
}

// Float accepts a JSON number, a numeric string ("31.579004"), "" or null.
type Float struct {
	Value float64
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *Float) UnmarshalJSON(b []byte) error {
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = Float{}
	if strings.TrimSpace(string(s)) == "" {
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
	if err != nil {
		return fmt.Errorf("lenient.Float: %q is not a number", string(s))
	}
	*f = Float{Value: v, Valid: true}
	return nil
}

// Ptr returns nil when the value was absent.
func (f Float) Ptr() *float64 {
	if !f.Valid {
		return nil
	}
	v := f.Value
	return &v
}

// Int accepts a JSON integer, a numeric string, "" or null.
type Int struct {
	Value int64
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*n = Int{}
	t := strings.TrimSpace(string(s))
	if t == "" {
		return nil
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		// Some vendors write integers as "12.0".
		f, ferr := strconv.ParseFloat(t, 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("lenient.Int: %q is not an integer", t)
		}
		v = int64(f)
	}
	*n = Int{Value: v, Valid: true}
	return nil
}

// Ptr returns nil when the value was absent.
func (n Int) Ptr() *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Value)
	return &v
}

// Bool accepts true/false, "1"/"0", "true"/"false", "是"/"否", 1/0, "" and
// null.
type Bool struct {
	Value bool
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "":
		*v = Bool{}
	case "true", "1", "是", "y", "yes":
		*v = Bool{Value: true, Valid: true}
	case "false", "0", "否", "n", "no":
		*v = Bool{Value: false, Valid: true}
	default:
		return fmt.Errorf("lenient.Bool: cannot read %q", string(s))
	}
	return nil
}

// Ptr returns nil when the value was absent.
func (v Bool) Ptr() *bool {
	if !v.Valid {
		return nil
	}
	b := v.Value
	return &b
}

// Strings accepts an array of strings (or numbers), a single string (the
// CRM sends attachments as "暂无附件"), "" or null. A lone string becomes a
// one-element slice; "" and null become nil.
type Strings []string

// UnmarshalJSON implements json.Unmarshaler.
func (ss *Strings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var items []String
		if err := json.Unmarshal(b, &items); err != nil {
			// Arrays of objects: keep each element's raw text.
			var raw []json.RawMessage
			if err2 := json.Unmarshal(b, &raw); err2 != nil {
				return err
			}
			out := make([]string, len(raw))
			for i, r := range raw {
				out[i] = string(r)
			}
			*ss = out
			return nil
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			out = append(out, string(it))
		}
		*ss = out
		return nil
	}
	var s String
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*ss = nil
		return nil
	}
	*ss = Strings{string(s)}
	return nil
}
