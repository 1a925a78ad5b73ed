package gqlhttp

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// appendResponse must say what json.Marshal says, member for member.
func TestAppendResponseMatchesJSONMarshal(t *testing.T) {
	yes := true
	for name, resp := range map[string]*graphql.Response{
		"data":        {Data: json.RawMessage(`{"customer":{"id":"u8:1","name":"宁波 <R&D> \"一\""}}`)},
		"null data":   {},
		"with errors": {Data: json.RawMessage(`{"customer":null}`), Errors: gqlerror.List{{Message: "u8: upstream unavailable", Path: ast.Path{ast.PathName("customer")}, Extensions: map[string]any{"code": "UPSTREAM_UNAVAILABLE"}}}},
		"extensions":  {Data: json.RawMessage(`{}`), Extensions: map[string]any{"cost": 12}},
		"incremental": {Data: json.RawMessage(`{"a":1}`), Label: "x", HasNext: &yes, Path: ast.Path{ast.PathName("a")}},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		got := appendResponse(nil, resp)
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %s is not JSON: %v", name, got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
