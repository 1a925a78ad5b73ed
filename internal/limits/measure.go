package limits

import (
	"math"

	"github.com/vektah/gqlparser/v2/ast"
)

// Measurement is what an operation asks for.
type Measurement struct {
	// Depth is the deepest field nesting, fragments expanded (a root field
	// is at depth 1). The subtree of __schema and __type is not counted.
	Depth int
	// Aliases counts the fields whose alias differs from their name, each
	// time a fragment is spread.
	Aliases int
	// Cost is the operation's cost under the CostModel.
	Cost int
}

// Field is one field of an operation as a CostModel sees it.
type Field struct {
	// Parent is the type the field is selected on ("Query", "Customer",
	// or an interface such as "Node").
	Parent string
	// Name is the field's name (not its alias).
	Name string
	// Args are the field's arguments with the request's variables and the
	// schema's defaults applied; nil when the field takes none.
	Args map[string]any
	// Page is the Cost.Page of the enclosing field (0 when it set none):
	// how a connection passes its `first` to its list fields.
	Page int
}

// Cost is what one field costs.
type Cost struct {
	// Self is what the field costs per parent object: 1 for a field read
	// from memory, more for one that calls an upstream.
	Self int
	// Each is how many objects the field yields per parent object: the cost
	// of its selection is multiplied by it (1 for an object, a list's
	// expected length for a list).
	Each int
	// Page is handed to the fields of its selection as Field.Page.
	Page int
}

// CostModel prices a field. The field's cost is Self + Each × (the cost of
// its selection). A nil CostModel prices every field {Self: 1, Each: 1},
// as gqlgen's default complexity does.
type CostModel func(Field) Cost

// Measure walks the operation op of a validated document once and returns
// its depth, aliases and cost.
//
// It walks the AST itself rather than using gqlgen's complexity machinery
// (complexity.Calculate and the generated ComplexityRoot) because that
// walker re-expands a fragment at every spread (exponential in nested
// spreads), has no depth or alias count, and gives a field no way to size
// its list fields by an argument of the field above it (a connection's
// `first`). Here:
//
//   - a fragment spread twice in one selection set counts once, as
//     execution collects it once (GraphQL's CollectFields), and a
//     fragment's measure is computed once per Page and reused, so the walk
//     is linear in the document whatever its fragments;
//   - a fragment cycle (refused by validation already) counts as empty;
//   - fields that execution merges (the same response key twice) are
//     counted twice, and @skip/@include are ignored: both can only
//     overestimate;
//   - all arithmetic saturates at math.MaxInt.
func Measure(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any, model CostModel) Measurement {
	w := walker{doc: doc, vars: vars, model: model, memo: map[fragmentKey]Measurement{}, active: map[string]bool{}}
	return w.selectionSet(op.SelectionSet, 0, map[string]bool{})
}

type walker struct {
	doc    *ast.QueryDocument
	vars   map[string]any
	model  CostModel
	memo   map[fragmentKey]Measurement
	active map[string]bool // fragments being walked: a cycle guard
}

type fragmentKey struct {
	name string
	page int
}

// selectionSet measures one selection set. spread holds the fragments
// already spread in it (through inline fragments and spreads too), which
// execution collects once.
func (w *walker) selectionSet(set ast.SelectionSet, page int, spread map[string]bool) Measurement {
	var m Measurement
	for _, sel := range set {
		var s Measurement
		switch sel := sel.(type) {
		case *ast.Field:
			s = w.field(sel, page)
		case *ast.InlineFragment:
			s = w.selectionSet(sel.SelectionSet, page, spread)
		case *ast.FragmentSpread:
			if spread[sel.Name] {
				continue
			}
			spread[sel.Name] = true
			s = w.fragment(sel, page)
		}
		m.Depth = max(m.Depth, s.Depth)
		m.Aliases = add(m.Aliases, s.Aliases)
		m.Cost = add(m.Cost, s.Cost)
	}
	return m
}

func (w *walker) fragment(sel *ast.FragmentSpread, page int) Measurement {
	key := fragmentKey{sel.Name, page}
	if m, ok := w.memo[key]; ok {
		return m
	}
	def := sel.Definition
	if def == nil && w.doc != nil {
		def = w.doc.Fragments.ForName(sel.Name)
	}
	if def == nil || w.active[sel.Name] {
		return Measurement{}
	}
	w.active[sel.Name] = true
	m := w.selectionSet(def.SelectionSet, page, map[string]bool{sel.Name: true})
	delete(w.active, sel.Name)
	w.memo[key] = m
	return m
}

func (w *walker) field(f *ast.Field, page int) Measurement {
	m := Measurement{Depth: 1, Cost: 1}
	if f.Alias != "" && f.Alias != f.Name {
		m.Aliases = 1
	}
	if f.Name == "__schema" || f.Name == "__type" {
		// Answered from the schema in memory; gqlparser's
		// MaxIntrospectionDepth rule bounds its nesting, and GraphiQL's
		// standard introspection query is deeper than any data query.
		return m
	}
	c := Cost{Self: 1, Each: 1}
	if w.model != nil {
		fd := Field{Name: f.Name, Page: page}
		if f.ObjectDefinition != nil {
			fd.Parent = f.ObjectDefinition.Name
		}
		if f.Definition != nil && len(f.Definition.Arguments) > 0 {
			fd.Args = f.ArgumentMap(w.vars)
		}
		c = w.model(fd)
		c.Self, c.Each = max(c.Self, 0), max(c.Each, 0)
	}
	if len(f.SelectionSet) == 0 {
		m.Cost = c.Self
		return m
	}
	sub := w.selectionSet(f.SelectionSet, c.Page, map[string]bool{})
	m.Depth = add(1, sub.Depth)
	m.Aliases = add(m.Aliases, sub.Aliases)
	m.Cost = add(c.Self, mul(c.Each, sub.Cost))
	return m
}

// add returns a+b for a, b ≥ 0, saturating at math.MaxInt.
func add(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// mul returns a×b for a, b ≥ 0, saturating at math.MaxInt.
func mul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}
