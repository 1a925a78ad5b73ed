package lenient

// hints predicts the member names of a list's records, which tend to come
// in one order (U8 sorts them, and leaves empty ones out): for each field,
// and for the start of a record, the two fields whose members last came
// next. A name predicted right is read by comparing it with the field's
// name, without scanning it as a string or looking it up. Entries hold a
// field's index + 1, 0 when empty; entry 2*prev and 2*prev+1 are for
// what follows prev, one more than the index of the field of the
// record's previous member (0 for its first).
type hints []int32

// maxHinted bounds the fields of a struct whose lists are hinted, so
// that the hints of one list fit in an array on the stack.
const maxHinted = 63

// predict returns the field whose name is the member name at data[i] (a
// quote) and the index past the name's closing quote, when a hint for
// prev names it; n is -1 when none does.
func (h hints) predict(st *structType, data []byte, i, prev int) (n, end int) {
	if h == nil {
		return -1, 0
	}
	for _, f := range h[2*prev : 2*prev+2] {
		if f == 0 {
			break
		}
		// A field's name has no quote, backslash or control character,
		// so the string ends at the quote after it.
		name := st.fields[f-1].name
		end := i + 1 + len(name)
		if end < len(data) && data[end] == '"' && string(data[i+1:end]) == name {
			return int(f - 1), end + 1
		}
	}
	return -1, 0
}

// learn records that field n came after prev, as the first guess.
func (h hints) learn(prev, n int) {
	if h != nil {
		h[2*prev+1], h[2*prev] = h[2*prev], int32(n+1)
	}
}
