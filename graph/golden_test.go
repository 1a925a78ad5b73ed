package graph_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql/introspection"

	"custgraph/internal/quota"
	"custgraph/internal/sim"
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

// errorCase is one request that gets one error code from the gateway,
// through the whole router as `custgraph serve` builds it.
type errorCase struct {
	// name is the golden file's, under testdata/errors: the code, then
	// what tells this case from the code's others.
	name string
	// code is the first error's extensions.code ("" when the response
	// holds no error, or no code: the case documents that).
	code string
	// why says which path of the gateway answers it, in the golden file.
	why string
	// settings are CUSTGRAPH_* values on top of newEnv's.
	settings map[string]string
	// gateway, when set, builds the gateway instead of newEnv.
	gateway func(t *testing.T, settings map[string]string) *env
	// prepare runs before the request: faults to inject, requests that
	// must come first.
	prepare func(t *testing.T, e *env)
	// The request: method (POST when empty), target (/graphql when
	// empty), headers (a POST's Content-Type is application/json unless
	// set, to "" for none) and body.
	method, target string
	header         map[string]string
	body           string
	// scrub replaces values of this response that change from run to run.
	scrub []scrubber
}

// scrubber replaces a per-run value of a response with a placeholder.
type scrubber struct {
	what        string // said in the golden file's header
	pattern     *regexp.Regexp
	placeholder string
}

func (c errorCase) request() *http.Request {
	method, target := cmp.Or(c.method, http.MethodPost), cmp.Or(c.target, "/graphql")
	req := httptest.NewRequest(method, target, strings.NewReader(c.body))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return req
}

// gqlBody is the JSON body of a request; a field left empty is left out.
func gqlBody(query, operationName string, variables, extensions map[string]any) string {
	m := map[string]any{}
	if query != "" {
		m["query"] = query
	}
	if operationName != "" {
		m["operationName"] = operationName
	}
	if variables != nil {
		m["variables"] = variables
	}
	if extensions != nil {
		m["extensions"] = extensions
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func gqlQuery(query string) string { return gqlBody(query, "", nil, nil) }

// The per-run values of every response: the request ID chi makes
// (host/random-counter), and the client rate's clock.
var (
	requestIDPattern = regexp.MustCompile(`("requestId": )"[^"]*"`)
	rateClockHeaders = []string{"Retry-After", "X-Ratelimit-Reset"}
)

// renderExchange is the golden text of one exchange: the case, the
// request (a long body cut), and the whole response with its headers
// sorted and its JSON body pretty-printed with sorted keys, per-run
// values replaced.
func renderExchange(t *testing.T, c errorCase, req *http.Request, rec *httptest.ResponseRecorder) []byte {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n#\n", c.name)
	for line := range strings.SplitSeq(c.why, "\n") {
		fmt.Fprintf(&b, "# %s\n", line)
	}
	if len(c.settings) > 0 {
		b.WriteString("#\n# Settings on top of the tests' (graph/setup_test.go):\n")
		for _, k := range slices.Sorted(maps.Keys(c.settings)) {
			fmt.Fprintf(&b, "#   %s=%s\n", k, c.settings[k])
		}
	}
	for _, s := range c.scrub {
		fmt.Fprintf(&b, "#\n# Replaced as it changes from run to run: %s.\n", s.what)
	}
	b.WriteString("\n")

	fmt.Fprintf(&b, "%s %s\n", req.Method, req.URL.RequestURI())
	writeHeaders(&b, req.Header, nil)
	if c.body != "" {
		body := c.body
		const most = 400
		if len(body) > most {
			cut := most
			for cut > 0 && !utf8.RuneStart(body[cut]) {
				cut--
			}
			body = fmt.Sprintf("%s… (%d bytes in all)", body[:cut], len(body))
		}
		fmt.Fprintf(&b, "\n%s\n", body)
	}

	fmt.Fprintf(&b, "\nHTTP %d %s\n", rec.Code, http.StatusText(rec.Code))
	writeHeaders(&b, rec.Header(), rateClockHeaders)
	if body := rec.Body.Bytes(); len(body) > 0 {
		b.WriteString("\n")
		b.Write(prettyJSON(t, body))
	}
	out := requestIDPattern.ReplaceAllString(b.String(), `$1"<request-id>"`)
	for _, s := range c.scrub {
		out = s.pattern.ReplaceAllString(out, s.placeholder)
	}
	return []byte(out)
}

// writeHeaders writes h sorted by name; the values of perRun are replaced.
func writeHeaders(b *strings.Builder, h http.Header, perRun []string) {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		v := strings.Join(h[k], ", ")
		if slices.Contains(perRun, k) {
			v = "<per-run>"
		}
		fmt.Fprintf(b, "%s: %s\n", k, v)
	}
}

// prettyJSON indents a JSON body with its object keys sorted (a decoded
// map marshals sorted) and numbers as sent; a body that is not JSON is
// kept as it is, so that the golden file shows it.
func prettyJSON(t *testing.T, body []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		if !bytes.HasSuffix(body, []byte("\n")) {
			body = append(body, '\n')
		}
		return append([]byte("(not JSON)\n"), body...)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// firstCode is extensions.code of the response's first error, "" when it
// has none.
func firstCode(t *testing.T, body []byte) string {
	t.Helper()
	var resp struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || len(resp.Errors) == 0 {
		return ""
	}
	code, _ := resp.Errors[0].Extensions["code"].(string)
	return code
}

// errorsDir holds one golden file per case of TestGoldenErrorResponses.
var errorsDir = filepath.Join("testdata", "errors")

// otherSim serves a second set of simulators made with o, for the cases
// that need a vendor configured unlike newEnv's (the CRM's own quota), or
// a server that is not the vendor at all; it returns its base URL.
func otherSim(t *testing.T, o sim.Options) string {
	t.Helper()
	o.Seed, o.Customers = 1, perSource
	ts := httptest.NewServer(sim.New(o))
	t.Cleanup(ts.Close)
	return ts.URL
}

// crmOne asks for one CRM record, the request of the upstream cases: its
// path, its data (null) and its one error are the contract's shape.
var crmOne = gqlQuery(`{ customer(id: "crm:1") { id name } }`)

// goldenErrorCases are the requests of TestGoldenErrorResponses: one for
// each code a client can receive from the gateway (extensions.code), and
// one per reason of DOWNSTREAM_SERVICE_ERROR, each the simplest request
// that gets it. Codes with more than one path that answers them in a
// different shape (the domain's BAD_USER_INPUT and the gate's; the
// parser's failures and its token limit) have a case per path.
//
// Not covered, as no request from outside can produce them:
//   - INTERNAL_SERVER_ERROR: only a bug of ours answers it (a panic,
//     caught by inbound.Recoverer or the executor's Recover, or an error
//     of no domain type reaching the presenter); no request reaches one.
//   - NOT_FOUND: the presenter maps it, but no path shows it: a missing
//     record is null, without an error (the case NOT_FOUND pins that).
func goldenErrorCases() []errorCase {
	deep := `{ customer(id: "u8:00000001") { ` + strings.Repeat("matches { ", 9) + "id" + strings.Repeat(" }", 9) + " } }"
	aliases := make([]string, 31)
	for i := range aliases {
		aliases[i] = fmt.Sprintf("a%d: __typename", i)
	}
	operations := make([]string, 11)
	for i := range operations {
		operations[i] = fmt.Sprintf("query Q%d { __typename }", i)
	}
	const key = "golden-test-key"
	crmDown := func(t *testing.T, e *env) { e.sim.Faults("crm").SetDown(true) }
	return []errorCase{
		// internal/gqlhttp: requests that are no GraphQL request, refused
		// before the GraphQL handler.
		{name: "BAD_REQUEST", code: "BAD_REQUEST",
			why:  "A body that is not JSON (gqlhttp.Reader): 400 under any media type, a fixed message that never quotes the body.",
			body: `{"query": "{ __typename }"`},
		{name: "BAD_REQUEST.no-query", code: "BAD_REQUEST",
			why:  "A JSON request object without query or persisted query hash (gqlhttp.Transport).",
			body: `{"qeury": "{ __typename }"}`},
		{name: "BAD_REQUEST.persisted-query-hash", code: "BAD_REQUEST",
			why: "A persisted query whose hash is not its query's: gqlgen's refusal, which has no code of its\n" +
				"own, given BAD_REQUEST by graph.persistedQueries. A request error: no data, 200 under\n" +
				"application/json.",
			body: gqlBody("{ __typename }", "", nil, map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("ab", 32)}})},
		{name: "REQUEST_TOO_LARGE", code: "REQUEST_TOO_LARGE",
			why:  "A body over CUSTGRAPH_MAX_BODY_BYTES (1 MiB by default), refused once that much is read.",
			body: `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 1<<20) + `"}}`},
		{name: "BATCHING_NOT_SUPPORTED", code: "BATCHING_NOT_SUPPORTED",
			why:  "A JSON array of operations: gqlgen executes one operation per request.",
			body: `[{"query":"{ __typename }"},{"query":"{ __typename }"}]`},
		{name: "METHOD_NOT_ALLOWED", code: "METHOD_NOT_ALLOWED",
			why:    "A GET may only run a query; a mutation is refused before validation, with Allow: POST.",
			method: http.MethodGet, target: "/graphql?" + url.Values{"query": {"mutation { __typename }"}}.Encode()},
		{name: "UNSUPPORTED_MEDIA_TYPE", code: "UNSUPPORTED_MEDIA_TYPE",
			why:    "A POST that is not application/json, with Accept-Post.",
			header: map[string]string{"Content-Type": "text/plain"}, body: gqlQuery("{ __typename }")},
		{name: "TIMEOUT", code: "TIMEOUT",
			why: "The request's deadline (CUSTGRAPH_REQUEST_TIMEOUT) passed before the operation could run: 504.\n" +
				"1ns has always passed by the time the document is parsed and validated.",
			settings: map[string]string{"CUSTGRAPH_REQUEST_TIMEOUT": "1ns"}, body: gqlQuery("{ __typename }")},

		// gqlgen's own request errors: no data; 200 under application/json,
		// 400 under application/graphql-response+json.
		{name: "GRAPHQL_PARSE_FAILED", code: "GRAPHQL_PARSE_FAILED",
			why:  "A document that does not parse.",
			body: gqlQuery("{")},
		{name: "GRAPHQL_PARSE_FAILED.graphql-response+json", code: "GRAPHQL_PARSE_FAILED",
			why:    "The same, for a client that accepts application/graphql-response+json: a request error is 400.",
			header: map[string]string{"Accept": "application/graphql-response+json"}, body: gqlQuery("{")},
		{name: "GRAPHQL_PARSE_FAILED.token-limit", code: "GRAPHQL_PARSE_FAILED",
			why:  "A document over CUSTGRAPH_MAX_TOKENS (3000): the parser stops at the first token over it.",
			body: gqlQuery("{ " + strings.Repeat("a ", 3000) + "}")},
		{name: "GRAPHQL_VALIDATION_FAILED", code: "GRAPHQL_VALIDATION_FAILED",
			why:  "A document that does not validate (no field suggestions: CUSTGRAPH_FIELD_SUGGESTIONS is off outside demo mode).",
			body: gqlQuery("{ nope }")},
		{name: "PERSISTED_QUERY_NOT_FOUND", code: "PERSISTED_QUERY_NOT_FOUND",
			why:  "A persisted query's hash alone, not yet stored: the client sends the query with it next.",
			body: gqlBody("", "", nil, map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("ab", 32)}})},

		// internal/limits, after validation and before any upstream call,
		// at their defaults.
		{name: "QUERY_TOO_DEEP", code: "QUERY_TOO_DEEP",
			why:  "Fields nested deeper than CUSTGRAPH_MAX_DEPTH (10): 9 matches under customer.",
			body: gqlQuery(deep)},
		{name: "TOO_MANY_ALIASES", code: "TOO_MANY_ALIASES",
			why:  "More aliases than CUSTGRAPH_MAX_ALIASES (30).",
			body: gqlQuery("{ " + strings.Join(aliases, " ") + " }")},
		{name: "QUERY_TOO_COMPLEX", code: "QUERY_TOO_COMPLEX",
			why:  "A cost over CUSTGRAPH_MAX_COST (5000): matches of matches under a page of 100.",
			body: gqlQuery(`{ customers(first: 100) { edges { node { matches { matches { id } } } } } }`)},
		{name: "TOO_MANY_OPERATIONS", code: "TOO_MANY_OPERATIONS",
			why:  "More operation definitions than CUSTGRAPH_MAX_OPERATIONS (10) in one document.",
			body: gqlBody(strings.Join(operations, " "), "Q0", nil, nil)},

		// graph/gate.go: the meta fields.
		{name: "INTROSPECTION_DISABLED", code: "INTROSPECTION_DISABLED",
			why:      "__schema while introspection is off (its default outside demo mode).",
			settings: map[string]string{"CUSTGRAPH_INTROSPECTION": "off"},
			body:     gqlQuery("{ __schema { queryType { name } } }")},
		{name: "FEDERATION_SDL_DISABLED", code: "FEDERATION_SDL_DISABLED",
			why:      "_service while CUSTGRAPH_FEDERATION_SDL is off.",
			settings: map[string]string{"CUSTGRAPH_FEDERATION_SDL": "off"},
			body:     gqlQuery("{ _service { sdl } }")},
		{name: "BAD_USER_INPUT.representations", code: "BAD_USER_INPUT",
			why: "An _entities representation this subgraph cannot resolve, refused by the gate before the\n" +
				"operation runs: a request error, no data.",
			body: gqlBody(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id } } }`, "", map[string]any{"r": []any{map[string]any{"__typename": "Order", "id": "1"}}}, nil)},

		// graph/errors.go: the domain's errors, presented in a response
		// whose operation ran (200, data).
		{name: "BAD_USER_INPUT", code: "BAD_USER_INPUT",
			why:  "An argument the domain refuses (an ID without its source): the field is null, with the error.",
			body: gqlQuery(`{ customer(id: "nope") { id } }`)},
		{name: "NOT_FOUND", code: "",
			why: "NOT_FOUND is never sent: a record that does not exist is null, without an error. This case\n" +
				"pins that (the CRM answers its code 100100, not found).",
			body: gqlQuery(`{ customer(id: "crm:999999") { id name } }`)},
		{name: "DOWNSTREAM_SERVICE_ERROR.UNAVAILABLE", code: "DOWNSTREAM_SERVICE_ERROR",
			why: "The CRM simulator drops every connection (Faults(\"crm\").SetDown(true)), as a dead vendor would;\n" +
				"the call is retried (CUSTGRAPH_RETRIES) and fails all the same.",
			prepare: crmDown, body: crmOne},
		{name: "DOWNSTREAM_SERVICE_ERROR.UNAVAILABLE.circuit-open", code: "DOWNSTREAM_SERVICE_ERROR",
			why: "The CRM's circuit is open: one request failed as above and opened it (CUSTGRAPH_BREAKER_FAILURES=1),\n" +
				"and this one is refused without a call, the message saying when calls resume.",
			settings: map[string]string{"CUSTGRAPH_BREAKER_FAILURES": "1", "CUSTGRAPH_BREAKER_OPEN": "1h"},
			prepare: func(t *testing.T, e *env) {
				crmDown(t, e)
				rec := httptest.NewRecorder()
				e.http.ServeHTTP(rec, errorCase{body: crmOne}.request())
				if !strings.Contains(rec.Body.String(), `"reason":"UNAVAILABLE"`) {
					t.Fatalf("the first request did not fail: %s", rec.Body)
				}
			},
			body: crmOne},
		{name: "DOWNSTREAM_SERVICE_ERROR.partial", code: "DOWNSTREAM_SERVICE_ERROR",
			why: "A partial result: the CRM is down as above, U8 answers; the data of the healthy source comes\n" +
				"with the error of the failed one at the field's path.",
			prepare: crmDown,
			body:    gqlQuery(`{ customersByIds(ids: ["u8:00000001", "crm:1"]) { id name } }`)},
		{name: "DOWNSTREAM_SERVICE_ERROR.TIMEOUT", code: "DOWNSTREAM_SERVICE_ERROR",
			why: "The U8 simulator answers after an hour (Faults(\"u8\").Set(time.Hour, 0)), beyond U8's call\n" +
				"timeout. U8, not the CRM: its calls are GETs, so the simulator sees the gateway hang up and\n" +
				"ends the call (a CRM login is a POST, whose handler would sleep its hour out).",
			settings: map[string]string{"CUSTGRAPH_U8_TIMEOUT": "50ms"},
			prepare:  func(t *testing.T, e *env) { e.sim.Faults("u8").Set(time.Hour, 0) },
			body:     gqlQuery(`{ customer(id: "u8:00000001") { id name } }`)},
		{name: "DOWNSTREAM_SERVICE_ERROR.AUTH", code: "DOWNSTREAM_SERVICE_ERROR",
			why:      "The CRM refuses the login (its code 100002): a wrong CUSTGRAPH_CRM_PASSWORD.",
			settings: map[string]string{"CUSTGRAPH_CRM_PASSWORD": "not-the-password"},
			body:     crmOne},
		{name: "DOWNSTREAM_SERVICE_ERROR.RATE_LIMITED", code: "DOWNSTREAM_SERVICE_ERROR",
			why: "The CRM refuses the call for its quota (HTTP 429, its code 100429): CUSTGRAPH_CRM_BASE_URL is a\n" +
				"CRM simulator whose quota is 1 call an hour, which the login spends (newEnv's outbound\n" +
				"quota is off, so the gateway does not keep to it).",
			gateway: func(t *testing.T, settings map[string]string) *env {
				u := otherSim(t, sim.Options{CRMRate: quota.Rate{N: 1, Per: time.Hour}})
				return newEnv(t, settings, map[string]string{"CUSTGRAPH_CRM_BASE_URL": u + "/crm"})
			},
			body: crmOne},
		{name: "DOWNSTREAM_SERVICE_ERROR.RATE_LIMITED.outbound-quota", code: "DOWNSTREAM_SERVICE_ERROR",
			why: "The gateway's own quota of CRM calls has no turn for the call (the login spent the one an hour),\n" +
				"so the call is not made.",
			settings: map[string]string{"CUSTGRAPH_CRM_RATE_LIMIT": "1/1h"},
			body:     crmOne,
			scrub: []scrubber{{"the wait for the next turn", regexp.MustCompile(`next call possible in [^)"]+`),
				"next call possible in <wait>"}}},
		{name: "DOWNSTREAM_SERVICE_ERROR.BAD_RESPONSE", code: "DOWNSTREAM_SERVICE_ERROR",
			why: "CUSTGRAPH_CRM_BASE_URL points at a server that is not the CRM: the login gets a text\n" +
				"\"404 page not found\", which the CRM client cannot read.",
			gateway: func(t *testing.T, settings map[string]string) *env {
				u := otherSim(t, sim.Options{})
				return newEnv(t, settings, map[string]string{"CUSTGRAPH_CRM_BASE_URL": u + "/not-the-crm"})
			},
			body: crmOne},
		{name: "DOWNSTREAM_SERVICE_ERROR.REJECTED", code: "DOWNSTREAM_SERVICE_ERROR",
			why:      "U8 refuses the call (its errcode 30004, no such data source): a wrong CUSTGRAPH_U8_DS_SEQUENCE.",
			settings: map[string]string{"CUSTGRAPH_U8_DS_SEQUENCE": "2"},
			body:     gqlQuery(`{ customer(id: "u8:00000001") { id name } }`)},

		// internal/auth and internal/inbound, before the request is read.
		{name: "UNAUTHENTICATED", code: "UNAUTHENTICATED",
			why:      "No credentials while CUSTGRAPH_API_KEYS is set: 401 with the challenge.",
			settings: map[string]string{"CUSTGRAPH_API_KEYS": key},
			body:     gqlQuery("{ __typename }")},
		{name: "UNAUTHENTICATED.invalid", code: "UNAUTHENTICATED",
			why:      "A key that is not one of CUSTGRAPH_API_KEYS: the message says invalid, and nothing more.",
			settings: map[string]string{"CUSTGRAPH_API_KEYS": key},
			header:   map[string]string{"X-API-Key": "not-the-key"}, body: gqlQuery("{ __typename }")},
		{name: "RATE_LIMITED", code: "RATE_LIMITED",
			why: "A client over CUSTGRAPH_CLIENT_RATE_LIMIT: its one request an hour was made just before (200).\n" +
				"429, with the rate's headers.",
			settings: map[string]string{"CUSTGRAPH_API_KEYS": key, "CUSTGRAPH_CLIENT_RATE_LIMIT": "1/1h"},
			prepare: func(t *testing.T, e *env) {
				rec := httptest.NewRecorder()
				e.http.ServeHTTP(rec, errorCase{header: map[string]string{"X-API-Key": key}, body: gqlQuery("{ __typename }")}.request())
				if rec.Code != http.StatusOK {
					t.Fatalf("the first request: %d %s", rec.Code, rec.Body)
				}
			},
			header: map[string]string{"X-API-Key": key}, body: gqlQuery("{ __typename }")},

		// A method no GraphQL transport serves.
		{name: "METHOD_NOT_ALLOWED.PUT", code: "METHOD_NOT_ALLOWED",
			why: "A method no GraphQL transport serves (gqlhttp.Unsupported; gqlgen itself would answer 400\n" +
				"\"transport not supported\" without a code).",
			method: http.MethodPut, body: gqlQuery("{ __typename }")},
	}
}

// TestGoldenErrorResponses sends each case's request through the whole
// router and compares the whole response (status, headers, JSON body) with
// its golden file, testdata/errors/<name>.golden. The first error's code
// is checked too, so that -update cannot record a case that lost its code.
func TestGoldenErrorResponses(t *testing.T) {
	cases := goldenErrorCases()
	files := map[string]bool{}
	for _, c := range cases {
		file := c.name + ".golden"
		if files[file] {
			t.Fatalf("two cases named %s", c.name)
		}
		files[file] = true
		t.Run(c.name, func(t *testing.T) {
			var e *env
			if c.gateway != nil {
				e = c.gateway(t, c.settings)
			} else {
				e = newEnv(t, c.settings)
			}
			if c.prepare != nil {
				c.prepare(t, e)
			}
			req := c.request()
			rec := httptest.NewRecorder()
			e.http.ServeHTTP(rec, req)
			if code := firstCode(t, rec.Body.Bytes()); code != c.code {
				t.Fatalf("code %q, want %q: %d %.500s", code, c.code, rec.Code, rec.Body)
			}
			checkGolden(t, filepath.Join(errorsDir, file), renderExchange(t, c, req, rec))
		})
	}
	// A golden file without its case would go on looking like a contract.
	entries, err := os.ReadDir(errorsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		if files[de.Name()] {
			continue
		}
		path := filepath.Join(errorsDir, de.Name())
		if *update {
			if err := os.Remove(path); err != nil {
				t.Error(err)
			}
			continue
		}
		t.Errorf("%s has no case in goldenErrorCases: remove it, or run go test ./graph -run %s -update", path, t.Name())
	}
}
