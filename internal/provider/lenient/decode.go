package lenient

import (
	"encoding/json"
	"reflect"
	"unsafe"
)

// Decode decodes data into v (a pointer to a struct) exactly as
// json.Unmarshal(data, v) would, for the shapes vendors send; ok is
// false, and v untouched, whenever it cannot be sure, and the caller then
// uses json.Unmarshal.
//
// json.Unmarshal reads its input twice with a byte-at-a-time state
// machine (once to validate it, once to decode it) before it hands each
// lenient field its bytes; Decode reads it once. It is sure of:
//   - structs whose fields (promoted ones included) are Unmarshalers,
//     booleans, numbers, strings, structs, pointers to structs and slices
//     of structs;
//   - member names that equal a field's name, or no field's name in any
//     case (such members are skipped); a name with escapes or non-ASCII
//     bytes, or one that equals a field's only in another case, is left
//     to encoding/json and its case folding;
//   - pointer, slice and map fields that are nil when their member comes
//     (encoding/json would decode into what is there; Unmarshalers might
//     write into memory v shares), but for a pointer to or a slice of
//     structs given null, which encoding/json sets to nil.
//
// Any error, from the input or from a field's UnmarshalJSON, makes ok
// false.
func Decode(data []byte, v any) (ok bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	st := structOf(rv.Type().Elem())
	if st == nil {
		return false
	}
	d := decoder{scanner{data: data}}
	i := d.space(0)
	if i < len(data) && data[i] == 'n' {
		// encoding/json leaves a struct as it is for null.
		end := d.literal(i, "null")
		return end >= 0 && d.space(end) == len(data)
	}
	if i >= len(data) || data[i] != '{' {
		return false
	}
	// The caller's value only changes once the whole input has been read
	// without a doubt.
	fresh := reflect.New(rv.Type().Elem()).Elem()
	fresh.Set(rv.Elem())
	end := d.object(i, fresh, st, nil)
	if end < 0 || d.space(end) != len(data) {
		return false
	}
	rv.Elem().Set(fresh)
	return true
}

// decoder is a scanner that decodes into structs as it validates. Its
// methods return what the scanner's do; -1 also when Decode is not sure.
type decoder struct {
	scanner
}

// object decodes the object at i into sv, an addressable struct whose
// table is st, with hints when it is a list's record.
func (d *decoder) object(i int, sv reflect.Value, st *structType, h hints) int {
	i, empty := d.open(i, '}')
	if i < 0 || empty {
		return i
	}
	data := d.data
	prev := 0 // the hints' index: 0 at the start, n+1 after field n
	for {
		if i >= len(data) || data[i] != '"' {
			return -1
		}
		n, end := h.predict(st, data, i, prev)
		if n < 0 {
			// A name with escapes or non-ASCII bytes is left to
			// encoding/json, which unescapes it and folds its case with
			// Unicode's rules.
			var escaped, folded bool
			end, escaped = d.str(i)
			if end < 0 || escaped || !ascii(data[i+1:end-1]) {
				return -1
			}
			if n, folded = st.find(data[i+1 : end-1]); folded {
				return -1 // encoding/json would decode it into that field
			}
			if n >= 0 {
				h.learn(prev, n)
			}
		}
		if i = d.colon(end); i < 0 {
			return -1
		}
		if n >= 0 {
			i = d.field(i, sv, &st.fields[n])
			prev = n + 1
		} else {
			i = d.value(i)
		}
		if i < 0 {
			return -1
		}
		var more bool
		if i, more = d.next(i, '}'); i < 0 || !more {
			return i
		}
	}
}

// field decodes the value at i into sv's field f.
func (d *decoder) field(i int, sv reflect.Value, f *field) int {
	if i >= len(d.data) {
		return -1
	}
	if f.method != methodAny {
		// This package's types, most fields, without reflect.
		end := d.value(i)
		if end < 0 || !own(f.method, unsafe.Add(unsafe.Pointer(sv.UnsafeAddr()), f.offset), d.data[i:end]) {
			return -1
		}
		return end
	}
	fv := sv.Field(f.index[0])
	for _, n := range f.index[1:] {
		fv = fv.Field(n)
	}
	switch f.kind {
	case kindMethod:
		end := d.value(i)
		if end < 0 || (f.shares && !fv.IsNil()) {
			return -1
		}
		// The value's bytes without the space around them, as
		// encoding/json passes them.
		u, _ := reflect.TypeAssert[json.Unmarshaler](fv.Addr())
		if u.UnmarshalJSON(d.data[i:end]) != nil {
			return -1
		}
		return end
	case kindBasic:
		end := d.value(i)
		if end < 0 || json.Unmarshal(d.data[i:end], fv.Addr().Interface()) != nil {
			return -1
		}
		return end
	}
	switch d.data[i] {
	case 'n':
		// null leaves a struct alone and sets a pointer or slice to nil.
		if f.kind != kindStruct {
			fv.SetZero()
		}
		return d.literal(i, "null")
	case '{':
		switch f.kind {
		case kindStruct:
			return d.object(i, fv, f.sub, nil)
		case kindPointer:
			if !fv.IsNil() {
				return -1
			}
			p := reflect.New(f.elem)
			fv.Set(p)
			return d.object(i, p.Elem(), f.sub, nil)
		}
	case '[':
		if f.kind == kindSlice && fv.IsNil() {
			return d.array(i, fv, f.sub)
		}
	}
	// Anything else is an error to encoding/json, or not sure.
	return -1
}

// array decodes the array at i into sv, a nil slice of structs whose
// table is st, as encoding/json does: each element starts zero, and null
// leaves it zero.
func (d *decoder) array(i int, sv reflect.Value, st *structType) int {
	i, empty := d.open(i, ']')
	if i < 0 {
		return -1
	}
	if empty {
		sv.Set(reflect.MakeSlice(sv.Type(), 0, 0)) // [] is an empty slice, not nil
		return i
	}
	buf, _ := st.scratch.Get().(*reflect.Value)
	if buf == nil {
		v := reflect.New(reflect.SliceOf(st.typ)).Elem()
		buf = &v
	}
	n, end := d.elements(i, *buf, st)
	if end >= 0 {
		out := reflect.MakeSlice(sv.Type(), n, n)
		reflect.Copy(out, *buf)
		sv.Set(out)
	}
	// Nothing of the answer stays behind in the pool.
	buf.Clear()
	buf.SetLen(0)
	st.scratch.Put(buf)
	return end
}

// elements decodes the elements of a non-empty array, the first at i,
// into buf, an empty slice, and returns how many there were.
func (d *decoder) elements(i int, buf reflect.Value, st *structType) (n, end int) {
	data := d.data
	var space [2 * (maxHinted + 1)]int32
	var h hints
	if len(st.fields) <= maxHinted {
		h = space[:2*(len(st.fields)+1)]
	}
	for ; ; n++ {
		if i >= len(data) {
			return n, -1
		}
		if n >= buf.Cap() {
			buf.Grow(1)
		}
		buf.SetLen(n + 1)
		switch data[i] {
		case '{':
			i = d.object(i, buf.Index(n), st, h)
		case 'n':
			i = d.literal(i, "null")
		default:
			return n + 1, -1
		}
		if i < 0 {
			return n + 1, -1
		}
		var more bool
		if i, more = d.next(i, ']'); i < 0 || !more {
			return n + 1, i
		}
	}
}

// own calls UnmarshalJSON of this package's type m at p with the value's
// bytes b, and reports whether it took them.
func own(m method, p unsafe.Pointer, b []byte) bool {
	switch m {
	case methodString:
		return (*String)(p).UnmarshalJSON(b) == nil
	case methodInt:
		return (*Int)(p).UnmarshalJSON(b) == nil
	case methodFloat:
		return (*Float)(p).UnmarshalJSON(b) == nil
	case methodBool:
		return (*Bool)(p).UnmarshalJSON(b) == nil
	case methodStrings:
		// A list already there may share memory with the caller's.
		ss := (*Strings)(p)
		return *ss == nil && ss.UnmarshalJSON(b) == nil
	}
	return false
}
