package readbody

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	for _, c := range []struct {
		name            string
		body            string
		length, presize int64
		want            string
		err             error
	}{
		{"declared", "hello", 5, 100, "hello", nil},
		{"empty", "", 0, 100, "", nil},
		{"0, a request built in process: unknown", "hello", 0, 100, "hello", nil},
		{"unknown length", "hello", -1, 100, "hello", nil},
		{"declared over presize: read as it comes", "hello", 5, 3, "hello", nil},
		{"a huge declared length sizes nothing", "hello", 1 << 40, 100, "hello", nil},
		{"shorter than declared", "hel", 5, 100, "", io.ErrUnexpectedEOF},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Read(strings.NewReader(c.body), c.length, c.presize)
			if !errors.Is(err, c.err) || (err == nil && !bytes.Equal(got, []byte(c.want))) {
				t.Errorf("Read = %q, %v; want %q, %v", got, err, c.want, c.err)
			}
			if err == nil && c.length > 0 && c.length <= c.presize && cap(got) != int(c.length) {
				t.Errorf("cap %d, want one allocation of %d", cap(got), c.length)
			}
		})
	}
}
