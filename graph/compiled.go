package graph

import (
	"context"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"custgraph/graph/scalar"
	"custgraph/internal/customer"
)

// The compiled writer (issue 18): a customer page, list or record whose
// selection holds only plain fields — fields read from the record, no
// resolver, no argument, no directive — is written straight to JSON by a
// plan compiled once per selection of a document, instead of by gqlgen's
// generated executor, which spends a field context, a context value,
// closures, a deferred recover and a field set on every field of every
// row: more CPU for a 20-row page than Tailcall spends on the whole query.
//
// Nothing else changes. gqlgen still parses, validates, runs the root
// resolvers (with their middleware, errors and partial results) and every
// field that resolves: the writer is entered where gqlgen's generated code
// marshals a Connection or Customers (internal/generate puts the calls
// there), and answers only when it can write exactly the bytes gqlgen's
// executor would. It declines — and gqlgen marshals as before — when the
// selection holds anything else (a resolver such as matches or remark, an
// argument, @skip/@include/@defer, a type it has no plan for), and when
// the data hold what it does not write (a null where the schema forbids
// one, a float that is not finite), so that gqlgen reports those as it
// always did. Writing plain fields has no side effect, so declining late
// costs only the bytes written so far; a list whose rows select matches,
// which gqlgen resolves, is checked for what the plan would decline before
// anything resolves (compiledBatch).
//
// The plans cover the types a customer page is made of: CustomerConnection,
// CustomerEdge, PageInfo, Customer's own fields (and matches in a list),
// Phone and PostalAddress.
// compiled_test.go proves their bytes equal gqlgen's over random values and
// every selection of those types; compiled_diff_test.go compares whole
// answers of generated queries with the writer on and off.

// objKind is a GraphQL object type the writer has plans for.
type objKind uint8

const (
	kConnection objKind = iota
	kEdge
	kPageInfo
	kCustomer
	kPhone
	kAddress
	kinds
)

// implementorsOf is each kind's gqlgen implementors list: what
// CollectFields matches fragments' type conditions against.
var implementorsOf = [kinds][]string{
	kConnection: customerConnectionImplementors,
	kEdge:       customerEdgeImplementors,
	kPageInfo:   pageInfoImplementors,
	kCustomer:   customerImplementors,
	kPhone:      phoneImplementors,
	kAddress:    postalAddressImplementors,
}

// typeNames is each kind's __typename.
var typeNames = [kinds]string{
	kConnection: "CustomerConnection",
	kEdge:       "CustomerEdge",
	kPageInfo:   "PageInfo",
	kCustomer:   "Customer",
	kPhone:      "Phone",
	kAddress:    "PostalAddress",
}

// fieldID names a field the writer can write; sub is the kind of its
// value's object (or list of objects), none for a leaf.
type fieldID uint8

const (
	fTypename fieldID = iota

	fConnEdges
	fConnNodes
	fConnPageInfo
	fConnTotalCount

	fEdgeCursor
	fEdgeNode

	fPageHasNext
	fPageEndCursor

	fCustID
	fCustSource
	fCustSourceID
	fCustName
	fCustShortName
	fCustContactName
	fCustEmail
	fCustPhones
	fCustAddress
	fCustCreatedAt
	fCustUpdatedAt
	fCustMatches

	fPhoneKind
	fPhoneNumber

	fAddrFormatted
	fAddrStreet
	fAddrCity
	fAddrRegion
	fAddrCountry
	fAddrPostalCode
	fAddrLatitude
	fAddrLongitude
)

const none = kinds

type fieldSpec struct {
	id  fieldID
	sub objKind
}

// fieldsOf are the fields each kind's plans may hold, by GraphQL name. A
// field missing here (a resolver, a field with arguments, an extension
// object) makes the writer decline the selection.
var fieldsOf = [kinds]map[string]fieldSpec{
	kConnection: {
		"__typename": {fTypename, none}, "edges": {fConnEdges, kEdge}, "nodes": {fConnNodes, kCustomer},
		"pageInfo": {fConnPageInfo, kPageInfo}, "totalCount": {fConnTotalCount, none},
	},
	kEdge:     {"__typename": {fTypename, none}, "cursor": {fEdgeCursor, none}, "node": {fEdgeNode, kCustomer}},
	kPageInfo: {"__typename": {fTypename, none}, "hasNextPage": {fPageHasNext, none}, "endCursor": {fPageEndCursor, none}},
	kCustomer: {
		"__typename": {fTypename, none}, "id": {fCustID, none}, "source": {fCustSource, none},
		"sourceId": {fCustSourceID, none}, "name": {fCustName, none}, "shortName": {fCustShortName, none},
		"contactName": {fCustContactName, none}, "email": {fCustEmail, none}, "phones": {fCustPhones, kPhone},
		"address": {fCustAddress, kAddress}, "createdAt": {fCustCreatedAt, none}, "updatedAt": {fCustUpdatedAt, none},
		"matches": {fCustMatches, none},
	},
	kPhone: {"__typename": {fTypename, none}, "kind": {fPhoneKind, none}, "number": {fPhoneNumber, none}},
	kAddress: {
		"__typename": {fTypename, none}, "formatted": {fAddrFormatted, none}, "street": {fAddrStreet, none},
		"city": {fAddrCity, none}, "region": {fAddrRegion, none}, "country": {fAddrCountry, none},
		"postalCode": {fAddrPostalCode, none}, "latitude": {fAddrLatitude, none}, "longitude": {fAddrLongitude, none},
	},
}

// plan writes one selection set of one kind: its fields in gqlgen's order
// (CollectFields': fragments expanded, same response keys merged).
type plan struct {
	kind   objKind
	fields []planField
	// sel is the selection set compiled, element by element (the
	// document's nodes), against which a cache hit is checked.
	sel ast.SelectionSet
	// size is the bytes the last value written with the plan took: the
	// next buffer's capacity.
	size atomic.Int64
	// batch is set on a Customer plan that selects matches, a batch
	// resolver: only a list of customers may be written with it, and
	// gqlgen resolves the field (compiledBatch).
	batch bool
}

type planField struct {
	key []byte // `"alias":`, quoted as gqlgen quotes it
	id  fieldID
	sub *plan
	// field is the field as gqlgen collected it, for a field gqlgen
	// resolves (matches): its arguments are read with the request's
	// variables.
	field graphql.CollectedField
}

// Plans holds the compiled plans of one handler and counts what they
// wrote: a bounded cache keyed by document and selection set.
type Plans struct {
	mu    sync.RWMutex
	cache map[planKey][]*plan
	// Compiled counts the values the compiled writer wrote; General those
	// it was offered and left to gqlgen's executor.
	Compiled, General atomic.Uint64
}

// planKey identifies a selection set of a document. gqlgen's CollectFields
// copies a field's selection set into a new slice on every request, so the
// key is the document (held, so that its address is not reused while the
// entry lives) and a hash of the selection's elements, which are the
// document's own nodes; the elements themselves are compared on a hit.
type planKey struct {
	doc  *ast.QueryDocument
	kind objKind
	hash uintptr
}

// maxPlans bounds the cache: past it the cache starts again empty. Each
// entry holds its document, so the bound is also that of the documents
// the cache keeps alive: as many as the handler's query cache keeps (1,000,
// each within the token limit).
const maxPlans = 1000

// NewPlans returns an empty plan cache.
func NewPlans() *Plans { return &Plans{cache: map[planKey][]*plan{}} }

// planFor returns the plan of sel as kind in the operation, compiling it
// on first sight; nil when the writer cannot write it (cached too, as a
// plan without fields).
func (ps *Plans) planFor(oc *graphql.OperationContext, sel ast.SelectionSet, kind objKind) *plan {
	if oc == nil || oc.Doc == nil || len(sel) == 0 {
		return nil
	}
	key := planKey{doc: oc.Doc, kind: kind, hash: hashSelection(sel)}
	ps.mu.RLock()
	for _, p := range ps.cache[key] {
		if sameSelection(p.sel, sel) {
			ps.mu.RUnlock()
			return p.orNil()
		}
	}
	ps.mu.RUnlock()
	p := compile(oc, sel, kind, 0)
	if p == nil {
		p = &plan{kind: kind, sel: append(ast.SelectionSet(nil), sel...)}
	}
	ps.mu.Lock()
	if len(ps.cache) >= maxPlans {
		clear(ps.cache)
	}
	ps.cache[key] = append(ps.cache[key], p)
	ps.mu.Unlock()
	return p.orNil()
}

// orNil is p, or nil for a declined selection's entry.
func (p *plan) orNil() *plan {
	if p.fields == nil {
		return nil
	}
	return p
}

func hashSelection(sel ast.SelectionSet) uintptr {
	h := uintptr(len(sel))
	for _, s := range sel {
		h = h*31 + nodeAddr(s)
	}
	return h
}

func sameSelection(a, b ast.SelectionSet) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if nodeAddr(a[i]) != nodeAddr(b[i]) {
			return false
		}
	}
	return true
}

// nodeAddr is the address of the document's node a selection is.
func nodeAddr(s ast.Selection) uintptr {
	switch s := s.(type) {
	case *ast.Field:
		return uintptr(unsafe.Pointer(s))
	case *ast.FragmentSpread:
		return uintptr(unsafe.Pointer(s))
	case *ast.InlineFragment:
		return uintptr(unsafe.Pointer(s))
	}
	return 0
}

// maxPlanDepth bounds compile's recursion; validation's depth limit is
// lower, this only guards against a cycle.
const maxPlanDepth = 32

// compile builds sel's plan as kind, or nil when some part of it is not
// the writer's to write.
func compile(oc *graphql.OperationContext, sel ast.SelectionSet, kind objKind, depth int) *plan {
	// The walk for directives covers the whole tree below sel, fragments
	// included: the sub-plans' selections are in it.
	if depth > maxPlanDepth || (depth == 0 && hasDirective(oc.Doc, sel, 0)) {
		return nil
	}
	fields := graphql.CollectFields(oc, sel, implementorsOf[kind])
	p := &plan{kind: kind, sel: append(ast.SelectionSet(nil), sel...), fields: make([]planField, 0, len(fields))}
	for i, f := range fields {
		if slices.ContainsFunc(fields[:i], func(g graphql.CollectedField) bool { return g.Alias == f.Alias }) {
			// CollectFields keeps apart a key selected on the type and
			// on a union it belongs to (__typename beside `... on
			// _Entity`); gqlgen writes the first only, and resolves the
			// rest for nothing, which matters for a resolver only.
			if f.Name == "matches" {
				return nil
			}
			continue
		}
		spec, ok := fieldsOf[kind][f.Name]
		if !ok || (len(f.Arguments) > 0 && spec.id != fCustMatches) || len(f.Deferrables) > 0 {
			return nil
		}
		pf := planField{key: append(appendQuoted(nil, f.Alias), ':'), id: spec.id}
		switch {
		case spec.id == fCustMatches:
			// gqlgen resolves it, once for the list (compiledBatch);
			// its value, a list of customers, comes back through the
			// writer with a plan of its own.
			pf.field, p.batch = f, true
		case spec.sub != none:
			if pf.sub = compile(oc, f.Selections, spec.sub, depth+1); pf.sub == nil || pf.sub.batch {
				// A batch field below a page's edges or nodes, or below
				// a single record, is resolved where gqlgen's own
				// marshalling sets up its batch: gqlgen writes those.
				return nil
			}
		}
		p.fields = append(p.fields, pf)
	}
	return p
}

// hasDirective reports whether sel, or a fragment it spreads, carries a
// directive anywhere: @skip and @include depend on the variables, which a
// plan does not, and @defer changes the response's shape.
func hasDirective(doc *ast.QueryDocument, sel ast.SelectionSet, depth int) bool {
	if depth > maxPlanDepth {
		return true
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if len(s.Directives) > 0 || hasDirective(doc, s.SelectionSet, depth+1) {
				return true
			}
		case *ast.InlineFragment:
			if len(s.Directives) > 0 || hasDirective(doc, s.SelectionSet, depth+1) {
				return true
			}
		case *ast.FragmentSpread:
			if len(s.Directives) > 0 {
				return true
			}
			def := doc.Fragments.ForName(s.Name)
			if def == nil || len(def.Directives) > 0 || hasDirective(doc, def.SelectionSet, depth+1) {
				return true
			}
		}
	}
	return false
}

// written is a value the compiled writer wrote.
type written []byte

func (w written) MarshalGQL(out io.Writer) { _, _ = out.Write(w) }

// plans returns the handler's plan cache, nil when the writer is off.
func (ec *executionContext) plans() *Plans {
	if r, ok := ec.Resolvers.(*Resolver); ok {
		return r.plans
	}
	return nil
}

// write runs p over v with w, counting the outcome: the bytes, or nil
// when the data hold what the writer leaves to gqlgen.
func (ps *Plans) write(p *plan, w func(b []byte) ([]byte, bool)) graphql.Marshaler {
	b, ok := w(make([]byte, 0, max(p.size.Load(), 64)))
	if !ok {
		ps.General.Add(1)
		return nil
	}
	p.size.Store(int64(len(b)))
	ps.Compiled.Add(1)
	return written(b)
}

// compiledConnection writes a customer page (Query.customers), or returns
// nil for gqlgen to.
func (ec *executionContext) compiledConnection(_ context.Context, sel ast.SelectionSet, v *customer.Connection) graphql.Marshaler {
	ps := ec.plans()
	if ps == nil || v == nil {
		return nil
	}
	p := ps.planFor(ec.OperationContext, sel, kConnection)
	if p == nil {
		ps.General.Add(1)
		return nil
	}
	return ps.write(p, func(b []byte) ([]byte, bool) { return p.connection(b, v) })
}

// compiledCustomers writes a list of customers ([Customer!]! when
// nonNull, else [Customer]!), or returns nil for gqlgen to.
func (ec *executionContext) compiledCustomers(ctx context.Context, sel ast.SelectionSet, v []*customer.Customer, nonNull bool) graphql.Marshaler {
	ps := ec.plans()
	if ps == nil {
		return nil
	}
	p := ps.planFor(ec.OperationContext, sel, kCustomer)
	if p == nil {
		ps.General.Add(1)
		return nil
	}
	if p.batch {
		return ec.compiledBatch(ctx, ps, p, v, nonNull)
	}
	return ps.write(p, func(b []byte) ([]byte, bool) { return p.customers(b, v, nonNull, nil) })
}

// compiledBatch writes a list of customers whose selection holds matches,
// which gqlgen resolves: each row's value comes from the generated field
// function, in the context gqlgen's list marshalling would give it (the
// list's batch of parents, the row's index), so the resolver runs once for
// the list and its errors land at each row's path, exactly as without the
// writer. Everything else in the row is written by the plan. A row whose
// matches are null (the field failed) is null, and so is the list when it
// holds non-null rows, after every row was resolved, as gqlgen does.
func (ec *executionContext) compiledBatch(ctx context.Context, ps *Plans, p *plan, v []*customer.Customer, nonNull bool) graphql.Marshaler {
	// What the plan would decline must be found before anything
	// resolves: past that point, gqlgen is not asked again.
	for _, c := range v {
		if (c == nil && nonNull) || (c != nil && !finiteAddress(c.Address)) {
			ps.General.Add(1)
			return nil
		}
	}
	ctx = graphql.WithBatchParents(ctx, "Customer", v, nil)
	w := &appendWriter{}
	b, ok := p.customers(make([]byte, 0, max(p.size.Load(), 64)), v, nonNull, func(i int, c *customer.Customer) resolveFunc {
		row := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		return func(b []byte, f *planField) ([]byte, bool) {
			m := ec._Customer_matches(row, f.field, c)
			if m == graphql.Null {
				return b, false
			}
			w.b = b
			m.MarshalGQL(w)
			return w.b, true
		}
	})
	ps.Compiled.Add(1)
	if !ok {
		return graphql.Null
	}
	p.size.Store(int64(len(b)))
	return written(b)
}

// appendWriter is an io.Writer appending to b: gqlgen's marshalers write
// into the plan's buffer through it.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// finiteAddress reports whether a's coordinates are all the writer writes
// (appendFloatPtr): none is infinite or NaN.
func finiteAddress(a *customer.PostalAddress) bool {
	return a == nil || (finite(a.Latitude) && finite(a.Longitude))
}

// finite reports whether f is nil or a number gqlgen's Float writes.
func finite(f *float64) bool { return f == nil || !(math.IsInf(*f, 0) || math.IsNaN(*f)) }

// compiledCustomer writes one customer (nullable: a nil one is gqlgen's
// null), or returns nil for gqlgen to.
func (ec *executionContext) compiledCustomer(_ context.Context, sel ast.SelectionSet, v *customer.Customer) graphql.Marshaler {
	ps := ec.plans()
	if ps == nil || v == nil {
		return nil
	}
	p := ps.planFor(ec.OperationContext, sel, kCustomer)
	if p == nil || p.batch {
		ps.General.Add(1)
		return nil
	}
	return ps.write(p, func(b []byte) ([]byte, bool) { return p.customer(b, v, nil) })
}

// The writers below append a value as gqlgen's executor writes it:
// objects as marshalFieldSet does, lists as graphql.Array, scalars as
// gqlgen's marshalers. Each reports false when the value holds what only
// gqlgen may answer (it adds an error for it).

// key appends field i's separator and key, and the field too when it is
// __typename, which every kind writes alike; it reports whether the value
// is the caller's to write.
func (p *plan) key(b []byte, i int) ([]byte, bool) {
	if i > 0 {
		b = append(b, ',')
	}
	b = append(b, p.fields[i].key...)
	if p.fields[i].id == fTypename {
		return appendQuoted(b, typeNames[p.kind]), false
	}
	return b, true
}

func (p *plan) connection(b []byte, c *customer.Connection) ([]byte, bool) {
	b = append(b, '{')
	var ok bool
	for i, f := range p.fields {
		var value bool
		if b, value = p.key(b, i); !value {
			continue
		}
		switch f.id {
		case fConnEdges:
			b = append(b, '[')
			for j := range c.Edges {
				if j > 0 {
					b = append(b, ',')
				}
				if b, ok = f.sub.edge(b, &c.Edges[j]); !ok {
					return b, false
				}
			}
			b = append(b, ']')
		case fConnNodes:
			if b, ok = f.sub.customers(b, c.Nodes(), true, nil); !ok {
				return b, false
			}
		case fConnPageInfo:
			b = f.sub.pageInfo(b, c.PageInfo)
		case fConnTotalCount:
			b = appendIntPtr(b, c.TotalCount)
		}
	}
	return append(b, '}'), true
}

func (p *plan) edge(b []byte, e *customer.Edge) ([]byte, bool) {
	b = append(b, '{')
	var ok bool
	for i, f := range p.fields {
		var value bool
		if b, value = p.key(b, i); !value {
			continue
		}
		switch f.id {
		case fEdgeCursor:
			b = appendQuoted(b, e.Cursor())
		case fEdgeNode:
			if e.Node == nil {
				return b, false
			}
			if b, ok = f.sub.customer(b, e.Node, nil); !ok {
				return b, false
			}
		}
	}
	return append(b, '}'), true
}

func (p *plan) pageInfo(b []byte, pi customer.PageInfo) []byte {
	b = append(b, '{')
	for i, f := range p.fields {
		var value bool
		if b, value = p.key(b, i); !value {
			continue
		}
		switch f.id {
		case fPageHasNext:
			b = strconv.AppendBool(b, pi.HasNextPage)
		case fPageEndCursor:
			b = appendStringPtr(b, pi.EndCursor())
		}
	}
	return append(b, '}')
}

// customers writes cs. For a plan without fields gqlgen resolves,
// resolveRow is nil and false means the writer declines. For a batch plan
// resolveRow gives row i's resolve; a row one of those fields nulls is
// written null and the rest written on (gqlgen resolves every row), and
// false means the list is null: it holds a null row where the schema
// forbids one.
func (p *plan) customers(b []byte, cs []*customer.Customer, nonNull bool, resolveRow func(i int, c *customer.Customer) resolveFunc) ([]byte, bool) {
	b = append(b, '[')
	nulled := false
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		if c == nil {
			if nonNull {
				return b, false
			}
			b = append(b, "null"...)
			continue
		}
		var resolve resolveFunc
		if resolveRow != nil {
			resolve = resolveRow(i, c)
		}
		start := len(b)
		var ok bool
		if b, ok = p.customer(b, c, resolve); !ok {
			if resolveRow == nil {
				return b, false
			}
			b, nulled = append(b[:start], "null"...), true
		}
	}
	return append(b, ']'), !(nulled && nonNull)
}

// resolveFunc writes a field gqlgen resolves (matches), or reports that
// it is null.
type resolveFunc func(b []byte, f *planField) ([]byte, bool)

// customer writes c; resolve writes the fields gqlgen resolves, in a plan
// that has them (batch).
func (p *plan) customer(b []byte, c *customer.Customer, resolve resolveFunc) ([]byte, bool) {
	b = append(b, '{')
	var ok bool
	// A resolved field that is null makes the row null, but only once
	// every field was resolved: gqlgen resolves them all, errors and all.
	null := false
	for i, f := range p.fields {
		var value bool
		if b, value = p.key(b, i); !value {
			continue
		}
		switch f.id {
		case fCustID:
			b = appendQuoted(b, c.ID())
		case fCustSource:
			b = appendQuoted(b, marshalNSource2custgraphᚋinternalᚋcustomerᚐSource[c.Source])
		case fCustSourceID:
			b = appendQuoted(b, c.SourceID)
		case fCustName:
			b = appendQuoted(b, c.Name)
		case fCustShortName:
			b = appendStringPtr(b, c.ShortName)
		case fCustContactName:
			b = appendStringPtr(b, c.ContactName)
		case fCustEmail:
			b = appendStringPtr(b, c.Email)
		case fCustPhones:
			b = append(b, '[')
			for j := range c.Phones {
				if j > 0 {
					b = append(b, ',')
				}
				b = f.sub.phone(b, &c.Phones[j])
			}
			b = append(b, ']')
		case fCustAddress:
			if c.Address == nil {
				b = append(b, "null"...)
			} else if b, ok = f.sub.address(b, c.Address); !ok {
				return b, false
			}
		case fCustCreatedAt:
			b = appendTimePtr(b, c.CreatedAt)
		case fCustUpdatedAt:
			b = appendTimePtr(b, c.UpdatedAt)
		case fCustMatches:
			if b, ok = resolve(b, &p.fields[i]); !ok {
				null = true
			}
		}
	}
	return append(b, '}'), !null
}

func (p *plan) phone(b []byte, ph *customer.Phone) []byte {
	b = append(b, '{')
	for i, f := range p.fields {
		var value bool
		if b, value = p.key(b, i); !value {
			continue
		}
		switch f.id {
		case fPhoneKind:
			b = appendQuoted(b, marshalNPhoneKind2custgraphᚋinternalᚋcustomerᚐPhoneKind[ph.Kind])
		case fPhoneNumber:
			b = appendQuoted(b, ph.Number)
		}
	}
	return append(b, '}')
}

func (p *plan) address(b []byte, a *customer.PostalAddress) ([]byte, bool) {
	b = append(b, '{')
	var ok bool
	for i, f := range p.fields {
		var value bool
		if b, value = p.key(b, i); !value {
			continue
		}
		switch f.id {
		case fAddrFormatted:
			b = appendStringPtr(b, a.Formatted)
		case fAddrStreet:
			b = appendStringPtr(b, a.Street)
		case fAddrCity:
			b = appendStringPtr(b, a.City)
		case fAddrRegion:
			b = appendStringPtr(b, a.Region)
		case fAddrCountry:
			b = appendStringPtr(b, a.Country)
		case fAddrPostalCode:
			b = appendStringPtr(b, a.PostalCode)
		case fAddrLatitude:
			if b, ok = appendFloatPtr(b, a.Latitude); !ok {
				return b, false
			}
		case fAddrLongitude:
			if b, ok = appendFloatPtr(b, a.Longitude); !ok {
				return b, false
			}
		}
	}
	return append(b, '}'), true
}

const hexDigits = "0123456789ABCDEF"

// appendQuoted appends s quoted exactly as gqlgen's graphql.MarshalString
// writes it (its writeQuotedString): control characters, '"' and '\\'
// escaped, everything else, invalid UTF-8 included, as it is.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i, c := range s {
		if c < 0x20 || c == '\\' || c == '"' {
			b = append(b, s[start:i]...)
			switch c {
			case '\t':
				b = append(b, `\t`...)
			case '\r':
				b = append(b, `\r`...)
			case '\n':
				b = append(b, `\n`...)
			case '\\':
				b = append(b, `\\`...)
			case '"':
				b = append(b, `\"`...)
			default:
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
			}
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendQuoted(b, *s)
}

func appendIntPtr(b []byte, n *int) []byte {
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, int64(*n), 10)
}

func appendTimePtr(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return scalar.AppendDateTime(b, *t)
}

// appendFloatPtr writes a Float as gqlgen's MarshalFloatContext (%g); a
// value that is not finite is gqlgen's to report.
func appendFloatPtr(b []byte, f *float64) ([]byte, bool) {
	if !finite(f) {
		return b, false
	}
	if f == nil {
		return append(b, "null"...), true
	}
	return strconv.AppendFloat(b, *f, 'g', -1, 64), true
}
