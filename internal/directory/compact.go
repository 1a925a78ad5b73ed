package directory

import (
	"reflect"
	"time"
	"unsafe"

	"custgraph/internal/customer"
)

// compact returns a deep copy of c laid out in a few allocations: every
// string's bytes in one arena, and every value a pointer field points to
// in one slab per type. A Customer as the vendors' mappings build it is
// some forty small objects (a *string is a header object and a bytes
// object); the directory holds hundreds of thousands of them for hours,
// and the garbage collector marks every object of the copy at every
// collection, so the count of objects, not their bytes, is what the copy
// costs the requests' CPU. The copy is read-only, as every Entry is.
func compact(c *customer.Customer) *customer.Customer {
	if c == nil {
		return nil
	}
	src := reflect.ValueOf(c).Elem()
	var z sizer
	z.walk(src)
	a := &arena{bytes: make([]byte, 0, z.bytes), slabs: map[reflect.Type]*slab{}}
	for t, n := range z.ptrs {
		a.slabs[t] = &slab{v: reflect.MakeSlice(reflect.SliceOf(t), n, n)}
	}
	out := &customer.Customer{}
	a.copy(reflect.ValueOf(out).Elem(), src)
	return out
}

// sizer counts what a value's copy needs: string bytes, and the values of
// each type that pointer fields point to.
type sizer struct {
	bytes int
	ptrs  map[reflect.Type]int
}

func (z *sizer) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		z.bytes += v.Len()
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if z.ptrs == nil {
			z.ptrs = map[reflect.Type]int{}
		}
		z.ptrs[v.Type().Elem()]++
		z.walk(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			return
		}
		for i := range v.NumField() {
			z.walk(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			z.walk(v.Index(i))
		}
	}
}

// timeType is copied whole: its one pointer is its time zone, shared.
var timeType = reflect.TypeFor[time.Time]()

type arena struct {
	bytes []byte
	slabs map[reflect.Type]*slab
}

type slab struct {
	v    reflect.Value
	next int
}

// str copies s into the arena; the arena is never written again where a
// string was taken from it.
func (a *arena) str(s string) string {
	if s == "" {
		return ""
	}
	off := len(a.bytes)
	a.bytes = append(a.bytes, s...)
	return unsafe.String(&a.bytes[off], len(s))
}

// copy copies src into dst (both of one type, dst addressable).
func (a *arena) copy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.String:
		dst.SetString(a.str(src.String()))
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		s := a.slabs[src.Type().Elem()]
		p := s.v.Index(s.next).Addr()
		s.next++
		a.copy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Struct:
		if src.Type() == timeType {
			dst.Set(src)
			return
		}
		for i := range src.NumField() {
			if dst.Field(i).CanSet() {
				a.copy(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		n := src.Len()
		s := reflect.MakeSlice(src.Type(), n, n)
		for i := range n {
			a.copy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Array:
		for i := range src.Len() {
			a.copy(dst.Index(i), src.Index(i))
		}
	default:
		dst.Set(src)
	}
}
