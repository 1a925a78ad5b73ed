package lenient

import (
	"cmp"
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// How Decode reads a field's value.
type fieldKind uint8

const (
	// kindMethod: the field's pointer is a json.Unmarshaler, which gets
	// the value's bytes.
	kindMethod fieldKind = iota + 1
	// kindStruct: a struct, decoded member by member into what it holds.
	kindStruct
	// kindPointer: a pointer to a struct, decoded when nil (or null).
	kindPointer
	// kindSlice: a slice of structs, decoded when nil (or null).
	kindSlice
	// kindBasic: a boolean, number or string, left to json.Unmarshal.
	kindBasic
)

// The Unmarshalers of this package, which Decode calls directly: taking
// a field's address through reflect and asserting the interface cost
// about as much as their fast paths themselves.
type method uint8

const (
	methodAny method = iota
	methodString
	methodInt
	methodFloat
	methodBool
	methodStrings
)

// field is one member name's field, as encoding/json resolves it.
type field struct {
	name  string
	index []int
	// offset is the field's offset in the struct (through embedded
	// structs, which are never pointers), for method.
	offset uintptr
	kind   fieldKind
	method method // of kindMethod
	// shares (kindMethod) is true when the field's type holds references
	// (a slice, a map): its method could write into memory the caller's
	// value shares, so Decode only calls it on a nil field.
	shares bool
	// elem is the struct type of kindPointer and kindSlice.
	elem reflect.Type
	// sub is the table of kindStruct, kindPointer and kindSlice.
	sub *structType
}

// structType is what Decode knows of a struct type.
type structType struct {
	typ    reflect.Type
	fields []field
	// names is an open-addressing hash table of the fields by their
	// names, hashed without regard to ASCII case, so that one probe finds
	// a member's field or tells that encoding/json would match it in
	// another case. Most members of the CRM's answers are of no field,
	// and two map lookups (the name, then the name in lower case) cost a
	// third of their decoding.
	names []slot
	// scratch holds slices of typ (as *reflect.Value) that arrays are
	// decoded into before they are copied into a slice of their length:
	// growing the slice itself would allocate and copy it again and
	// again, for most of an answer's memory.
	scratch sync.Pool
}

var (
	structTypes sync.Map // reflect.Type → *structType, nil when unsupported

	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// structOf returns t's table, or nil when Decode does not read t.
func structOf(t reflect.Type) *structType {
	if st, ok := structTypes.Load(t); ok {
		return st.(*structType)
	}
	return structIn(t, map[reflect.Type]bool{})
}

// structIn is structOf while building the tables of the types in
// building, which refer to t: a type that refers to itself is not read.
func structIn(t reflect.Type, building map[reflect.Type]bool) *structType {
	if st, ok := structTypes.Load(t); ok {
		return st.(*structType)
	}
	if building[t] {
		return nil
	}
	building[t] = true
	st := buildStruct(t, building)
	delete(building, t)
	actual, _ := structTypes.LoadOrStore(t, st)
	return actual.(*structType)
}

// hasMethods reports whether encoding/json could hand a value of t to a
// method of its own (or of a field promoted into it) instead of
// decoding it as its kind.
func hasMethods(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(unmarshalerType) || p.Implements(textUnmarshalerType)
}

// candidate is a field found while walking t and its embedded structs.
type candidate struct {
	name   string
	tagged bool
	index  []int
	typ    reflect.Type
}

// buildStruct makes t's table with encoding/json's rules for field names
// (typeFields in encoding/json/encode.go): embedded structs' fields are
// promoted, the shallowest field of a name wins, then the tagged one, and
// a name two fields claim equally is dropped. Whatever is out of the
// ordinary (an option other than omitempty and omitzero, ",string"
// included; an embedded pointer or non-struct; a type embedded twice; a
// name that is not plain ASCII; a field of a type not read) makes t
// unsupported.
func buildStruct(t reflect.Type, building map[reflect.Type]bool) *structType {
	if t.Kind() != reflect.Struct || hasMethods(t) {
		return nil
	}
	type level struct {
		typ   reflect.Type
		index []int
	}
	var found []candidate
	visited := map[reflect.Type]bool{}
	for next := []level{{typ: t}}; len(next) > 0; {
		current := next
		next = nil
		nextCount := map[reflect.Type]int{}
		for _, l := range current {
			if visited[l.typ] {
				continue
			}
			visited[l.typ] = true
			for i := range l.typ.NumField() {
				sf := l.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !plainOptions(opts) || (name != "" && !validName(name)) {
					return nil
				}
				index := append(slices.Clip(l.index), i)
				if sf.Anonymous {
					if name != "" || sf.Type.Kind() != reflect.Struct {
						return nil
					}
					if nextCount[sf.Type]++; nextCount[sf.Type] > 1 {
						return nil
					}
					next = append(next, level{sf.Type, index})
					continue
				}
				tagged := name != ""
				if !tagged {
					name = sf.Name
					if !validName(name) {
						return nil
					}
				}
				found = append(found, candidate{name, tagged, index, sf.Type})
			}
		}
	}

	fields := dominant(found)
	size := 1
	for size < 4*len(fields) { // at most a quarter full: short probes
		size *= 2
	}
	st := &structType{typ: t, names: make([]slot, size)}
	for _, c := range fields {
		f, ok := fieldOf(c.typ, building)
		if !ok {
			return nil
		}
		f.name, f.index = c.name, c.index
		for s, i := t, 0; i < len(c.index); s, i = s.Field(c.index[i]).Type, i+1 {
			f.offset += s.Field(c.index[i]).Offset
		}
		st.fields = append(st.fields, f)
		h := nameHash([]byte(c.name))
		i := h & uint32(size-1)
		for st.names[i].field != 0 {
			i = (i + 1) & uint32(size-1)
		}
		st.names[i] = slot{h, int32(len(st.fields))}
	}
	return st
}

// dominant keeps, of the fields that share a name, the one encoding/json
// decodes that name into (its dominantField), and drops names with none.
func dominant(found []candidate) []candidate {
	slices.SortFunc(found, func(a, b candidate) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.index), len(b.index)); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return +1
		}
		return slices.Compare(a.index, b.index)
	})
	var out []candidate
	for i := 0; i < len(found); {
		j := i + 1
		for j < len(found) && found[j].name == found[i].name {
			j++
		}
		if j-i == 1 || len(found[i].index) != len(found[i+1].index) || found[i].tagged != found[i+1].tagged {
			out = append(out, found[i])
		}
		i = j
	}
	return out
}

// fieldOf says how a field of type t is read; ok is false when Decode
// does not read it.
func fieldOf(t reflect.Type, building map[reflect.Type]bool) (f field, ok bool) {
	p := reflect.PointerTo(t)
	switch {
	case t.Kind() != reflect.Pointer && t.Name() != "" && p.Implements(unmarshalerType):
		// encoding/json calls the method through the field's address,
		// for every value, null included.
		switch {
		case flat(t):
			f = field{kind: kindMethod}
		case t.Kind() == reflect.Slice || t.Kind() == reflect.Map:
			f = field{kind: kindMethod, shares: true}
		default:
			return field{}, false
		}
		f.method = methods[t]
		return f, true
	case hasMethods(t) || (t.Kind() == reflect.Pointer && (t.Implements(unmarshalerType) || t.Implements(textUnmarshalerType))):
		return field{}, false
	}
	switch t.Kind() {
	case reflect.Struct:
		f = field{kind: kindStruct, sub: structIn(t, building)}
	case reflect.Pointer:
		if t.Name() != "" || t.Elem().Kind() != reflect.Struct {
			return field{}, false
		}
		f = field{kind: kindPointer, elem: t.Elem(), sub: structIn(t.Elem(), building)}
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Struct {
			return field{}, false
		}
		f = field{kind: kindSlice, elem: t.Elem(), sub: structIn(t.Elem(), building)}
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return field{kind: kindBasic}, true
	default:
		return field{}, false
	}
	return f, f.sub != nil
}

var methods = map[reflect.Type]method{
	reflect.TypeFor[String]():  methodString,
	reflect.TypeFor[Int]():     methodInt,
	reflect.TypeFor[Float]():   methodFloat,
	reflect.TypeFor[Bool]():    methodBool,
	reflect.TypeFor[Strings](): methodStrings,
}

// flat reports whether a value of t holds no references, so that a
// method writing into it cannot reach memory outside it.
func flat(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	case reflect.Array:
		return flat(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !flat(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// plainOptions reports whether a tag's options change nothing in
// decoding.
func plainOptions(opts string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o != "omitempty" && o != "omitzero" {
			return false
		}
	}
	return true
}

// validName reports whether name is a name encoding/json takes as it is
// (its isValidTag) and is ASCII, where its case folding is plain.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) >= 0:
		default:
			return false
		}
	}
	return true
}
