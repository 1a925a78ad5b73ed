package lenient

import "encoding/binary"

// slot is an entry of structType.names.
type slot struct {
	hash  uint32 // the name's nameHash: other names are passed over unread
	field int32  // the field's index + 1; 0 for an empty slot
}

// find returns the index of the field named key, or -1; folded is true
// when no field has that name but one has it in another case.
func (st *structType) find(key []byte) (n int, folded bool) {
	h := nameHash(key)
	mask := uint32(len(st.names) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := st.names[i]
		switch {
		case s.field == 0:
			return -1, folded
		case s.hash != h: // neither the name nor the name in another case
		case st.fields[s.field-1].name == string(key): // no allocation
			return int(s.field - 1), false
		default:
			folded = folded || asciiEqualFold(key, st.fields[s.field-1].name)
		}
	}
}

// nameHash hashes name with ASCII letters in lower case (and a few other
// bytes taken for others, which only makes names collide). It reads the
// first and the last eight bytes (or four, or three single ones), which
// tell field names apart, instead of every byte: every member of an
// answer is hashed.
func nameHash(name []byte) uint32 {
	const lower = 0x20 * lowBits
	var a, b uint64
	switch n := len(name); {
	case n >= 8:
		a, b = binary.LittleEndian.Uint64(name), binary.LittleEndian.Uint64(name[n-8:])
	case n >= 4:
		a, b = uint64(binary.LittleEndian.Uint32(name)), uint64(binary.LittleEndian.Uint32(name[n-4:]))
	case n > 0:
		a = uint64(name[0]) | uint64(name[n/2])<<8 | uint64(name[n-1])<<16
	}
	h := ((a|lower)*0x9E3779B97F4A7C15 ^ (b | lower) ^ uint64(len(name))) * 0xBF58476D1CE4E5B9
	return uint32(h >> 32)
}
