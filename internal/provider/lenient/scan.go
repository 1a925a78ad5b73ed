package lenient

import (
	"encoding/binary"
	"math/bits"
)

// scanner validates JSON as encoding/json's checkValid does, one value at
// a time, so that Decode can read an answer in one pass and still refuse
// every input json.Unmarshal refuses. Each method takes the index of the
// first byte of what it reads and returns the index just past it, or -1
// when the input is not valid JSON there.
type scanner struct {
	data  []byte
	depth int // objects and arrays open
}

// maxDepth bounds nesting. encoding/json refuses more than 10000 levels;
// refusing earlier only sends such input to json.Unmarshal, and keeps the
// recursion short.
const maxDepth = 1000

// space skips JSON whitespace.
func (s *scanner) space(i int) int {
	for i < len(s.data) {
		switch s.data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value skips any one value.
func (s *scanner) value(i int) int {
	if i < 0 || i >= len(s.data) {
		return -1
	}
	switch c := s.data[i]; {
	case c == '"':
		end, _ := s.str(i)
		return end
	case c == '{':
		return s.object(i)
	case c == '[':
		return s.array(i)
	case c == 't':
		return s.literal(i, "true")
	case c == 'f':
		return s.literal(i, "false")
	case c == 'n':
		return s.literal(i, "null")
	case c == '-' || ('0' <= c && c <= '9'):
		return s.number(i)
	}
	return -1
}

// literal reads word (true, false or null).
func (s *scanner) literal(i int, word string) int {
	if len(s.data)-i < len(word) || string(s.data[i:i+len(word)]) != word {
		return -1
	}
	return i + len(word)
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. What
// follows it is the caller's to check: "01" reads as 0 and then fails
// there.
func (s *scanner) number(i int) int {
	d := s.data
	if d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		return -1
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		i = s.digits(i + 1)
	default:
		return -1
	}
	if i < len(d) && d[i] == '.' {
		j := s.digits(i + 1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := s.digits(i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func (s *scanner) digits(i int) int {
	for i < len(s.data) && '0' <= s.data[i] && s.data[i] <= '9' {
		i++
	}
	return i
}

// str reads a string; escaped tells whether it has escapes. Invalid
// UTF-8 is valid JSON to encoding/json (it decodes to U+FFFD), so it is
// accepted.
func (s *scanner) str(i int) (end int, escaped bool) {
	d := s.data
	for i++; ; {
		// Strings are most of an answer: pass eight bytes at a time up
		// to the first that needs a look.
		if len(d)-i >= 8 {
			m := special(binary.LittleEndian.Uint64(d[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		} else {
			for i < len(d) && d[i] != '"' && d[i] != '\\' && d[i] >= 0x20 {
				i++
			}
			if i >= len(d) {
				return -1, false
			}
		}
		switch d[i] {
		case '"':
			return i + 1, escaped
		case '\\':
			escaped = true
			i++
			if i >= len(d) {
				return -1, false
			}
			switch d[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(d)-i <= 4 || !hex(d[i+1]) || !hex(d[i+2]) || !hex(d[i+3]) || !hex(d[i+4]) {
					return -1, false
				}
				i += 4
			default:
				return -1, false
			}
			i++
		default: // a control character
			return -1, false
		}
	}
}

// ascii reports whether b is all ASCII.
func ascii(b []byte) bool {
	var seen uint64
	for ; len(b) >= 8; b = b[8:] {
		seen |= binary.LittleEndian.Uint64(b)
	}
	for _, c := range b {
		seen |= uint64(c)
	}
	return seen&highBits == 0
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// special marks, with its high bit, each of the eight bytes of w that is
// a quote, a backslash or a control character (< 0x20); the lowest mark
// is the first such byte. Each test is the classic one for "some byte is
// below n": (x - n per byte) &^ x & high bits. A borrow can mark bytes
// above a true mark, never below it.
func special(w uint64) uint64 {
	quote := w ^ ('"' * lowBits)
	backslash := w ^ ('\\' * lowBits)
	return ((quote-lowBits)&^quote | (backslash-lowBits)&^backslash | (w-0x20*lowBits)&^w) & highBits
}

func hex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// open enters the object or array that opens at i, whose closing byte is
// close: it returns the index of its first member or element, or, with
// empty, the index after it when close follows at once; -1 past
// maxDepth.
func (s *scanner) open(i int, close byte) (j int, empty bool) {
	if s.depth++; s.depth > maxDepth {
		return -1, false
	}
	i = s.space(i + 1)
	if i < len(s.data) && s.data[i] == close {
		s.depth--
		return i + 1, true
	}
	return i, false
}

// object skips an object.
func (s *scanner) object(i int) int {
	i, empty := s.open(i, '}')
	if i < 0 || empty {
		return i
	}
	d := s.data
	for {
		if i >= len(d) || d[i] != '"' {
			return -1
		}
		if i, _ = s.str(i); i < 0 {
			return -1
		}
		if i = s.colon(i); i < 0 {
			return -1
		}
		if i = s.value(i); i < 0 {
			return -1
		}
		var more bool
		if i, more = s.next(i, '}'); i < 0 || !more {
			return i
		}
	}
}

// array skips an array.
func (s *scanner) array(i int) int {
	i, empty := s.open(i, ']')
	if i < 0 || empty {
		return i
	}
	for {
		if i = s.value(i); i < 0 {
			return -1
		}
		var more bool
		if i, more = s.next(i, ']'); i < 0 || !more {
			return i
		}
	}
}

// colon reads the ':' after a member name and the space around it, and
// returns the index of the value.
func (s *scanner) colon(i int) int {
	i = s.space(i)
	if i >= len(s.data) || s.data[i] != ':' {
		return -1
	}
	return s.space(i + 1)
}

// next reads what follows a member or element: a ',' (more is true and i
// the index of the next one) or close, which ends the object or array
// (more is false and i is past it).
func (s *scanner) next(i int, close byte) (j int, more bool) {
	i = s.space(i)
	switch {
	case i >= len(s.data):
		return -1, false
	case s.data[i] == ',':
		return s.space(i + 1), true
	case s.data[i] == close:
		s.depth--
		return i + 1, false
	}
	return -1, false
}
