package graph_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"
)

// update rewrites the golden files from what the gateway answers now, as
// Go's own go/printer tests do: go test ./graph -run TestGolden -update.
// Review the diff before committing it: a golden file is the contract a
// client or a federation router sees.
var update = flag.Bool("update", false, "rewrite the golden files")

// checkGolden compares got with the golden file at path, or writes it
// there under -update. A difference fails the test with the lines around
// the first one, enough to see what changed without a diff tool.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: create it with go test ./graph -run %s -update", err, topName(t))
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the gateway answers (if the change is meant, rewrite it with go test ./graph -run %s -update and review the diff):\n%s",
			path, topName(t), firstDifference(string(got), string(want)))
	}
}

// topName is the name of the top-level test, for -run: a subtest's name
// may hold characters that -run reads as a pattern.
func topName(t *testing.T) string {
	name, _, _ := strings.Cut(t.Name(), "/")
	return name
}

// firstDifference shows the lines around the first line where got and want
// differ: three common lines before it, then up to four lines of each.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first difference at line %d (- golden, + got):\n", i+1)
	for j := max(0, i-3); j < i; j++ {
		fmt.Fprintf(&b, "  %s\n", w[j])
	}
	for _, side := range []struct {
		mark  string
		lines []string
	}{{"-", w}, {"+", g}} {
		end := min(i+4, len(side.lines))
		if i >= end {
			fmt.Fprintf(&b, "%s (end of file)\n", side.mark)
		}
		for j := i; j < end; j++ {
			fmt.Fprintf(&b, "%s %s\n", side.mark, side.lines[j])
		}
	}
	return b.String()
}

// postQuery sends one JSON POST of query through the whole router and
// decodes the response, failing on anything but 200 without errors.
func postQuery(t *testing.T, h http.Handler, query string) json.RawMessage {
	t.Helper()
	body, err := json.Marshal(map[string]string{"query": query})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var resp struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || rec.Code != http.StatusOK || len(resp.Errors) > 0 {
		t.Fatalf("status %d: %.500s", rec.Code, rec.Body)
	}
	return resp.Data
}

// TestGoldenServedSDL pins the SDL a federation router composes from, as
// the gateway serves it ({ _service { sdl } } through the whole router),
// with introspection off as in production: _service must answer all the
// same. A change to the schema files changes this file, so that the
// change to the supergraph is reviewed with it.
func TestGoldenServedSDL(t *testing.T) {
	e := newEnv(t, map[string]string{"CUSTGRAPH_INTROSPECTION": "off"})
	var got struct {
		Service struct {
			SDL string `json:"sdl"`
		} `json:"_service"`
	}
	if err := json.Unmarshal(postQuery(t, e.http, `{ _service { sdl } }`), &got); err != nil {
		t.Fatal(err)
	}
	sdl := got.Service.SDL
	if sdl == "" {
		t.Fatal("empty SDL")
	}
	if !strings.HasSuffix(sdl, "\n") {
		sdl += "\n" // a text file ends with one; the SDL as served may not
	}
	checkGolden(t, filepath.Join("testdata", "schema.golden.graphql"), []byte(sdl))
}

// TestGoldenIntrospectionSDL pins the public schema as introspection (the
// query GraphiQL sends) serves it, printed as SDL. It differs from the
// federation SDL: it holds what gqlgen adds (_entities, _service, _Any…)
// and no applied directives, and it is what clients' code generators
// read.
func TestGoldenIntrospectionSDL(t *testing.T) {
	e := newEnv(t) // introspection on, as in demo mode
	var got struct {
		Schema introSchema `json:"__schema"`
	}
	if err := json.Unmarshal(postQuery(t, e.http, introspection.Query), &got); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "introspection.golden.graphql"), []byte(got.Schema.sdl()))
}

// The parts of an introspection answer that introspection.Query asks for.
type (
	introSchema struct {
		Description      *string
		QueryType        *introName
		MutationType     *introName
		SubscriptionType *introName
		Types            []introType
		Directives       []introDirective
	}
	introName struct{ Name string }
	introType struct {
		Kind, Name     string
		Description    *string
		SpecifiedByURL *string `json:"specifiedByURL"`
		Fields         []introField
		InputFields    []introValue
		Interfaces     []introRef
		EnumValues     []introEnumValue
		PossibleTypes  []introRef
	}
	introField struct {
		Name              string
		Description       *string
		Args              []introValue
		Type              introRef
		IsDeprecated      bool
		DeprecationReason *string
	}
	introValue struct {
		Name         string
		Description  *string
		Type         introRef
		DefaultValue *string
	}
	introEnumValue struct {
		Name              string
		Description       *string
		IsDeprecated      bool
		DeprecationReason *string
	}
	introRef struct {
		Kind   string
		Name   *string
		OfType *introRef
	}
	introDirective struct {
		Name        string
		Description *string
		Locations   []string
		Args        []introValue
	}
)

// The types and directives every GraphQL schema has, left out of the SDL
// as printers do.
var (
	builtinScalars    = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}
	builtinDirectives = map[string]bool{"include": true, "skip": true, "deprecated": true, "specifiedBy": true, "oneOf": true}
)

// sdl prints the schema: the schema definition, then the directives and
// the types, each sorted by name so that the file does not depend on the
// order the server lists them in; fields, arguments and values keep the
// server's order, which is the schema files'.
func (s introSchema) sdl() string {
	var b strings.Builder
	if s.Description != nil && *s.Description != "" {
		writeDescription(&b, "", *s.Description)
	}
	b.WriteString("schema {\n")
	for _, root := range []struct {
		op string
		t  *introName
	}{{"query", s.QueryType}, {"mutation", s.MutationType}, {"subscription", s.SubscriptionType}} {
		if root.t != nil {
			fmt.Fprintf(&b, "  %s: %s\n", root.op, root.t.Name)
		}
	}
	b.WriteString("}\n")
	dirs := append([]introDirective(nil), s.Directives...)
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name < dirs[j].Name })
	for _, d := range dirs {
		if builtinDirectives[d.Name] {
			continue
		}
		b.WriteString("\n")
		writeDescription(&b, "", deref(d.Description))
		fmt.Fprintf(&b, "directive @%s%s on %s\n", d.Name, args(d.Args, ""), strings.Join(d.Locations, " | "))
	}
	types := append([]introType(nil), s.Types...)
	sort.Slice(types, func(i, j int) bool { return types[i].Name < types[j].Name })
	for _, t := range types {
		if strings.HasPrefix(t.Name, "__") || builtinScalars[t.Name] {
			continue
		}
		b.WriteString("\n")
		writeDescription(&b, "", deref(t.Description))
		switch t.Kind {
		case "SCALAR":
			fmt.Fprintf(&b, "scalar %s", t.Name)
			if t.SpecifiedByURL != nil {
				fmt.Fprintf(&b, " @specifiedBy(url: %s)", quote(*t.SpecifiedByURL))
			}
			b.WriteString("\n")
		case "UNION":
			names := make([]string, len(t.PossibleTypes))
			for i, p := range t.PossibleTypes {
				names[i] = p.String()
			}
			fmt.Fprintf(&b, "union %s = %s\n", t.Name, strings.Join(names, " | "))
		case "ENUM":
			fmt.Fprintf(&b, "enum %s {\n", t.Name)
			for _, v := range t.EnumValues {
				writeDescription(&b, "  ", deref(v.Description))
				fmt.Fprintf(&b, "  %s%s\n", v.Name, deprecated(v.IsDeprecated, v.DeprecationReason))
			}
			b.WriteString("}\n")
		case "INPUT_OBJECT":
			fmt.Fprintf(&b, "input %s {\n", t.Name)
			for _, f := range t.InputFields {
				writeDescription(&b, "  ", deref(f.Description))
				fmt.Fprintf(&b, "  %s\n", value(f))
			}
			b.WriteString("}\n")
		default: // OBJECT, INTERFACE
			keyword := "type"
			if t.Kind == "INTERFACE" {
				keyword = "interface"
			}
			fmt.Fprintf(&b, "%s %s", keyword, t.Name)
			if len(t.Interfaces) > 0 {
				names := make([]string, len(t.Interfaces))
				for i, p := range t.Interfaces {
					names[i] = p.String()
				}
				fmt.Fprintf(&b, " implements %s", strings.Join(names, " & "))
			}
			b.WriteString(" {\n")
			for _, f := range t.Fields {
				writeDescription(&b, "  ", deref(f.Description))
				fmt.Fprintf(&b, "  %s%s: %s%s\n", f.Name, args(f.Args, "  "), f.Type, deprecated(f.IsDeprecated, f.DeprecationReason))
			}
			b.WriteString("}\n")
		}
	}
	return b.String()
}

// args prints an argument list: on one line, or one argument a line when
// any has a description.
func args(vs []introValue, indent string) string {
	if len(vs) == 0 {
		return ""
	}
	described := false
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = value(v)
		described = described || deref(v.Description) != ""
	}
	if !described {
		return "(" + strings.Join(parts, ", ") + ")"
	}
	var b strings.Builder
	b.WriteString("(\n")
	for i, v := range vs {
		writeDescription(&b, indent+"  ", deref(v.Description))
		fmt.Fprintf(&b, "%s  %s\n", indent, parts[i])
	}
	b.WriteString(indent + ")")
	return b.String()
}

func value(v introValue) string {
	s := v.Name + ": " + v.Type.String()
	if v.DefaultValue != nil {
		s += " = " + *v.DefaultValue
	}
	return s
}

func deprecated(is bool, reason *string) string {
	if !is {
		return ""
	}
	if reason == nil {
		return " @deprecated"
	}
	return " @deprecated(reason: " + quote(*reason) + ")"
}

// writeDescription writes d as a block string, on one line when it has one.
func writeDescription(b *strings.Builder, indent, d string) {
	if d == "" {
		return
	}
	d = strings.ReplaceAll(d, `"""`, `\"""`)
	if !strings.Contains(d, "\n") {
		fmt.Fprintf(b, "%s\"\"\"%s\"\"\"\n", indent, d)
		return
	}
	fmt.Fprintf(b, "%s\"\"\"\n", indent)
	for line := range strings.SplitSeq(d, "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		fmt.Fprintf(b, "%s%s\n", indent, line)
	}
	fmt.Fprintf(b, "%s\"\"\"\n", indent)
}

// String prints a type reference: [Customer!]!.
func (r introRef) String() string {
	switch {
	case r.Kind == "NON_NULL" && r.OfType != nil:
		return r.OfType.String() + "!"
	case r.Kind == "LIST" && r.OfType != nil:
		return "[" + r.OfType.String() + "]"
	}
	return deref(r.Name)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// quote is a GraphQL string literal (JSON's escapes are GraphQL's).
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
