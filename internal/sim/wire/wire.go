// Package wire reads the vendor records the simulators are given (files
// for `sim -data`, bodies of PUT /_sim/records) into generic JSON values,
// so that each simulator can check and keep them in its vendor's own
// format. It keeps numbers as json.Number: U8 sends some mobiles as
// numbers and they must come back unchanged.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Object decodes one JSON object. Anything else (an array, a string,
// null, trailing data) is an error a user can act on.
func Object(data []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if d.More() {
		return nil, errors.New("not valid JSON: more than one value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a JSON object, got %s", kind(v))
	}
	return m, nil
}

// Array decodes a JSON array of objects, the shape of every data file.
// An error names the record (0-based index) it is about.
func Array(data []byte) ([]map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var items []any
	if err := d.Decode(&items); err != nil {
		return nil, fmt.Errorf("want a JSON array of records: %w", err)
	}
	if d.More() {
		return nil, errors.New("want one JSON array of records, found more after it")
	}
	out := make([]map[string]any, len(items))
	for i, v := range items {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("record %d: want a JSON object, got %s", i, kind(v))
		}
		out[i] = m
	}
	return out, nil
}

// String reads an optional string field: ok is false only when the field
// is there with another type.
func String(m map[string]any, key string) (s string, ok bool) {
	v, present := m[key]
	if !present || v == nil {
		return "", true
	}
	s, ok = v.(string)
	return s, ok
}

// Marshal writes v as the vendors do: no HTML escaping of <, > and &.
func Marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	default:
		return "an object"
	}
}
