package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"

	"custgraph/graph"
	"custgraph/internal/gqlhttp"
	"custgraph/internal/limits"
)

// hostileMarker is in every hostile request; no refusal may carry it back.
const hostileMarker = "HOSTILE-7c1e-MARKER"

// limited is the gateway with the limits of o, as CUSTGRAPH_MAX_* set them.
func limited(o limits.Options) map[string]string {
	return map[string]string{
		"CUSTGRAPH_MAX_DEPTH": strconv.Itoa(o.MaxDepth), "CUSTGRAPH_MAX_ALIASES": strconv.Itoa(o.MaxAliases),
		"CUSTGRAPH_MAX_COST": strconv.Itoa(o.MaxCost), "CUSTGRAPH_MAX_TOKENS": strconv.Itoa(o.MaxTokens),
		"CUSTGRAPH_MAX_OPERATIONS": strconv.Itoa(o.MaxOperations),
	}
}

// post builds a JSON POST of query and variables, with the marker as an
// extra (undeclared, so ignored) variable.
func post(t *testing.T, query string, vars map[string]any) *http.Request {
	t.Helper()
	return postOp(t, query, "", vars)
}

// postOp is post with an operationName.
func postOp(t *testing.T, query, operationName string, vars map[string]any) *http.Request {
	t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	vars["hostileMarker"] = hostileMarker
	b, err := json.Marshal(map[string]any{"query": query, "operationName": operationName, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	return rawPost(b, false)
}

// rawPost builds a JSON POST of body; chunked hides its length, as a
// client streaming the body would.
func rawPost(body []byte, chunked bool) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if chunked {
		req.ContentLength = -1
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	return req
}

func repeatJoin(n int, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return strings.Join(parts, " ")
}

func TestHostileRequestsAreRefusedBeforeAnyUpstreamCall(t *testing.T) {
	e := newEnv(t)
	e.warmIndex(t)
	h := e.http
	noTokenLimit := limits.Defaults()
	noTokenLimit.MaxTokens = 0
	other := newEnv(t, limited(noTokenLimit))
	hNoTokenLimit := other.http

	deep := `{ customer(id: "u8:00000001") { ` + strings.Repeat("matches { ", 15) + "id" + strings.Repeat(" }", 15) + " } }"
	aliases := func(n int) string {
		return "{ " + repeatJoin(n, func(i int) string { return fmt.Sprintf(`a%d: customer(id: "u8:%08d") { id }`, i, i+1) }) + " }"
	}
	ids := make([]string, 600)
	for i := range ids {
		ids[i] = fmt.Sprintf("u8:%08d", i+1)
	}
	reps := make([]map[string]any, 1000)
	for i := range reps {
		reps[i] = map[string]any{"__typename": "Customer", "id": fmt.Sprintf("crm:%d", i+1)}
	}
	// 8 fragments, each asking matches twice under two aliases: 2^8
	// matches at depth 10, 510 aliased fields in all, each a lookup per
	// record.
	var bomb strings.Builder
	bomb.WriteString(`{ customer(id: "u8:00000001") { ...F0 } }`)
	for i := range 8 {
		fmt.Fprintf(&bomb, " fragment F%d on Customer { a: matches { ...F%d } b: matches { ...F%d } }", i, i+1, i+1)
	}
	bomb.WriteString(" fragment F8 on Customer { id }")
	batch := make([]map[string]any, 1000)
	for i := range batch {
		batch[i] = map[string]any{"query": `{ customer(id: "u8:00000001") { id name } }`, "variables": map[string]any{"m": hostileMarker}}
	}
	batchBody, _ := json.Marshal(batch)
	threeMB := append([]byte(`{"query":"{ __typename }","variables":{"pad":"`+hostileMarker),
		append(bytes.Repeat([]byte("x"), 3<<20), `"}}`...)...)
	deepAccept := post(t, deep, nil)
	deepAccept.Header.Set("Accept", "application/graphql-response+json")
	get := httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape(deep)+"&variables="+
		url.QueryEscape(`{"m":"`+hostileMarker+`"}`), nil)

	tests := []struct {
		name    string
		h       http.Handler
		req     *http.Request
		status  int
		code    string
		message string // a part of the message
	}{
		{"deep nesting: matches 15 deep", h, post(t, deep, nil),
			200, limits.CodeTooDeep, "17 levels deep, over the limit of 10"},
		{"deep nesting, Accept: application/graphql-response+json", h, deepAccept,
			400, limits.CodeTooDeep, "17 levels deep, over the limit of 10"},
		{"deep nesting by GET", h, get,
			200, limits.CodeTooDeep, "17 levels deep, over the limit of 10"},
		{"alias flood: 500 × customer(id)", h, post(t, aliases(500), nil),
			200, "GRAPHQL_PARSE_FAILED", "exceeded token limit of 3000"},
		{"alias flood: 500 × customer(id), no token limit", hNoTokenLimit, post(t, aliases(500), nil),
			200, limits.CodeTooManyAliases, "500 aliases, over the limit of 30"},
		{"alias flood: 31 × customer(id)", h, post(t, aliases(31), nil),
			200, limits.CodeTooManyAliases, "31 aliases, over the limit of 30"},
		{"fragment bomb: 2^8 nested aliased matches", h, post(t, bomb.String(), nil),
			200, limits.CodeTooManyAliases, "510 aliases, over the limit of 30"},
		{"cost explosion: customers(first: 100) matches of matches", h,
			post(t, `{ customers(first: 100) { edges { node { matches { matches { id } } } } } }`, nil),
			200, limits.CodeTooComplex, "costs 6832, over the limit of 5000"},
		{"cost explosion: customersByIds of 600 ids", h,
			post(t, `query($ids: [ID!]!) { customersByIds(ids: $ids) { id name } }`, map[string]any{"ids": ids}),
			200, limits.CodeTooComplex, "costs 7201, over the limit of 5000"},
		{"cost explosion: _entities of 1000 representations", h,
			post(t, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name } } }`, map[string]any{"r": reps}),
			200, limits.CodeTooComplex, "costs 12001, over the limit of 5000"},
		{"too many operations: 11 in one document", h,
			postOp(t, repeatJoin(11, func(i int) string { return fmt.Sprintf(`query Q%d { customer(id: "u8:00000001") { id } }`, i) }), "Q0", nil),
			200, limits.CodeTooManyOperations, "11 operations, over the limit of 10"},
		{"token flood: 100k tokens", h, post(t, "{ "+strings.Repeat("a ", 100_000)+"}", nil),
			200, "GRAPHQL_PARSE_FAILED", "exceeded token limit of 3000"},
		{"multi-megabyte body: 3 MiB", h, rawPost(threeMB, false),
			413, gqlhttp.CodeRequestTooLarge, "request body larger than 1048576 bytes"},
		{"multi-megabyte body: 3 MiB, chunked", h, rawPost(threeMB, true),
			413, gqlhttp.CodeRequestTooLarge, "request body larger than 1048576 bytes"},
		{"malformed JSON", h, rawPost([]byte(`{"query": "{ customer(id: \"u8:00000001\") { id } }", "variables": {"m": "`+hostileMarker+`"}`), false),
			400, gqlhttp.CodeBadRequest, "request body is not valid JSON"},
		{"JSON that is not a request object", h, rawPost([]byte(`"`+hostileMarker+`"`), false),
			400, gqlhttp.CodeBadRequest, "request body is a JSON string"},
		{"JSON array of 1000 operations", h, rawPost(batchBody, false),
			400, gqlhttp.CodeBatchingNotSupported, "batched requests (a JSON array of operations) are not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.Reset()
			rec := httptest.NewRecorder()
			start := time.Now()
			tt.h.ServeHTTP(rec, tt.req)
			took := time.Since(start)

			var resp gqlResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("status %d, body not JSON (%v): %.300s", rec.Code, err, rec.Body)
			}
			var code any
			if len(resp.Errors) > 0 {
				code = resp.Errors[0].Extensions["code"]
			}
			t.Logf("hostile: %-55s status %d  code %-24v %v", tt.name, rec.Code, code, took.Round(100*time.Microsecond))
			if rec.Code != tt.status || code != tt.code {
				t.Errorf("status %d code %v, want %d %s: %.300s", rec.Code, code, tt.status, tt.code, rec.Body)
			}
			if len(resp.Errors) != 1 || !strings.Contains(resp.Errors[0].Message, tt.message) {
				t.Errorf("errors %+v, want one saying %q", resp.Errors, tt.message)
			}
			if resp.Data != nil { // a refused request has no data entry, not even null
				t.Errorf("data %s, want none", resp.Data)
			}
			if strings.Contains(rec.Body.String(), hostileMarker) || rec.Body.Len() > 1024 {
				t.Errorf("the response (%d bytes) echoes the request: %.300s", rec.Body.Len(), rec.Body)
			}
			if took > time.Second {
				t.Errorf("refused in %v, want under 1s", took)
			}
			if st := e.stats(); st.Total("") != 0 {
				t.Errorf("refusal made %d upstream calls: %v", st.Total(""), st.Calls)
			}
		})
	}
}

// gqlgen's own POST transport answers a malformed body with the body
// itself in its message; the handler's Transport never quotes the body,
// and the middleware refuses it before the handler with the same fixed
// message.
func TestAMalformedBodyIsNeverEchoed(t *testing.T) {
	e := newEnv(t)
	alone := graph.NewHandler(&graph.Resolver{Service: e.svc}, graph.HandlerOptions{Limits: limits.Defaults(), MaxBodyBytes: gqlhttp.DefaultMaxBodyBytes})
	for name, h := range map[string]http.Handler{"handler alone": alone, "the gateway": e.http} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, rawPost([]byte(`{"query": "`+hostileMarker), false))
		if rec.Code != http.StatusBadRequest || strings.Contains(rec.Body.String(), hostileMarker) ||
			!strings.Contains(rec.Body.String(), `"request body is not valid JSON"`) {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		}
	}
}

func TestNormalQueriesPassWithDefaultLimits(t *testing.T) {
	h := newEnv(t).http
	tests := []struct{ name, query string }{
		{"README customer", `{ customer(id: "u8:00000003") { id name contactName phones { kind number }
		    u8 { code industry selfDefine(index: 1) } matches { id source name contactName } } }`},
		{"README page", `{ customers(first: 10) { totalCount nodes { id source name } pageInfo { endCursor hasNextPage } } }`},
		{"a page of 100 with matches", `{ customers(first: 100) { nodes { id name matches { id name } } } }`},
		{"sources", `{ sources { source healthy circuit lastError } }`},
		{"graphql-js introspection (all options)", graphqlJSIntrospection},
		{"gqlgen's introspection query", introspection.Query},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, post(t, tt.query, nil))
			var resp gqlResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("status %d, body %.300s", rec.Code, rec.Body)
			}
			if rec.Code != http.StatusOK || len(resp.Errors) > 0 || len(resp.Data) < 20 {
				t.Fatalf("status %d, errors %+v, data %.200s", rec.Code, resp.Errors, resp.Data)
			}
		})
	}
}

// TestCostModel pins what the schema's queries cost, so that a change of
// the model shows here before it refuses a client.
func TestCostModel(t *testing.T) {
	tests := []struct {
		query string
		vars  map[string]any
		want  limits.Measurement
	}{
		// customer 11 + 3 scalars + phones (1 + 2) + u8 (1 + 3) +
		// matches (1 + 10×2 + 2×4)
		{`{ customer(id: "u8:00000003") { id name contactName phones { kind number }
		    u8 { code industry selfDefine(index: 1) } matches { id source name contactName } } }`, nil,
			limits.Measurement{Depth: 3, Cost: 11 + 3 + 3 + 4 + 29}},
		// customers 1 + 10×3; nodes 1 + 10×3; totalCount 1; pageInfo 3
		{`{ customers(first: 10) { totalCount nodes { id source name } pageInfo { endCursor hasNextPage } } }`, nil,
			limits.Measurement{Depth: 3, Cost: 31 + 31 + 1 + 3}},
		// the default page is 20; a filter reads up to 10 pages per source
		{`{ customers(sources: [YCM], filter: {name: "x"}) { nodes { id } } }`, nil,
			limits.Measurement{Depth: 3, Cost: 101 + 1 + 20}},
		// first is priced at most 100: the resolver refuses more
		{`query($n: Int) { customers(first: $n) { nodes { id } } }`, map[string]any{"n": 1000},
			limits.Measurement{Depth: 3, Cost: 31 + 1 + 100}},
		// matches of matches: 1 + 10×2 + 2×(1 + 10×2 + 2×1) = 67 per node
		{`{ customers(first: 100) { edges { node { matches { matches { id } } } } } }`, nil,
			limits.Measurement{Depth: 6, Cost: 31 + 1 + 100*(1+67)}},
		{`{ customers(first: 100) { nodes { id name matches { id name } } } }`, nil,
			limits.Measurement{Depth: 4, Cost: 31 + 1 + 100*(2+25)}},
		{`{ a: customersByName(name: "x", sources: [CRM]) { id } b: customersByIds(ids: ["u8:1", "crm:2"]) { id } }`, nil,
			limits.Measurement{Depth: 2, Aliases: 2, Cost: (11 + 1) + (21 + 2)}},
		{`{ c: customer(id: "u8:1") { matches(sources: [U8, YCM, CRM]) { id } } }`, nil,
			limits.Measurement{Depth: 3, Aliases: 1, Cost: 11 + 21 + 2}},
		{graphqlJSIntrospection, nil, limits.Measurement{Depth: 1, Cost: 1}},
	}
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	for _, tt := range tests {
		doc, errs := gqlparser.LoadQueryWithRules(schema, tt.query, nil)
		if errs != nil {
			t.Fatalf("%s: %v", tt.query, errs)
		}
		vars, err := validator.VariableValues(schema, doc.Operations[0], tt.vars)
		if err != nil {
			t.Fatal(err)
		}
		if got := limits.Measure(doc, doc.Operations[0], vars, graph.CostModel); got != tt.want {
			t.Errorf("%.60s…: got %+v, want %+v", strings.Join(strings.Fields(tt.query), " "), got, tt.want)
		}
	}
}

// graphqlJSIntrospection is graphql-js 16's getIntrospectionQuery with
// every option on (descriptions, specifiedByUrl, directiveIsRepeatable,
// schemaDescription, inputValueDeprecation, oneOf), as GraphiQL sends it:
// its TypeRef nests ofType 9 deep, 13 levels in all.
const graphqlJSIntrospection = `
query IntrospectionQuery {
  __schema {
    description
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}

fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  isOneOf
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}

fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}

fragment TypeRef on __Type {
  kind
  name
  ofType {
    kind
    name
    ofType {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                  ofType {
                    kind
                    name
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
`
