package gqlhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestWriteResultAsJSONMarshal: the result writer's bytes are the ones
// json.Marshal writes for the same response, whatever it holds.
func TestWriteResultAsJSONMarshal(t *testing.T) {
	partial := &gqlerror.Error{Message: "U8 is unavailable", Path: ast.Path{ast.PathName("customers")},
		Extensions: map[string]any{"code": "UPSTREAM_UNAVAILABLE", "source": "U8"}}
	yes := true
	for name, resp := range map[string]*graphql.Response{
		"data":                {Data: json.RawMessage(`{"customers":{"nodes":[{"id":"u8:1","name":"上海 & 北京"}]}}`)},
		"html in strings":     {Data: json.RawMessage(`{"name":"<b>A&B</b>"}`)},
		"line separators":     {Data: json.RawMessage("{\"name\":\"a\u2028b\u2029c\"}")},
		"null data":           {Data: nil, Errors: gqlerror.List{partial}},
		"partial":             {Data: json.RawMessage(`{"customers":null}`), Errors: gqlerror.List{partial, {Message: "<x>"}}},
		"extensions":          {Data: json.RawMessage(`{"a":1}`), Extensions: map[string]any{"cost": map[string]any{"z": 1, "a": "<"}}},
		"errors & extensions": {Data: json.RawMessage(`{"a":[]}`), Errors: gqlerror.List{partial}, Extensions: map[string]any{"k": 1.5}},
		"incremental":         {Data: json.RawMessage(`{"a":1}`), Label: "l", Path: ast.Path{ast.PathName("a")}, HasNext: &yes},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		writeResult(rec, resp)
		if got := rec.Body.String(); got != string(want) || rec.Code != 200 {
			t.Errorf("%s: wrote %d %s\nwant 200 %s", name, rec.Code, got, want)
		}
	}
}

// BenchmarkWriteResult writes a page of 20 customers with Chinese names.
//
//	go test -run '^$' -bench WriteResult ./internal/gqlhttp
func BenchmarkWriteResult(b *testing.B) {
	var data bytes.Buffer
	data.WriteString(`{"customers":{"nodes":[`)
	for i := range 20 {
		if i > 0 {
			data.WriteByte(',')
		}
		fmt.Fprintf(&data, `{"id":"u8:%08d","name":"上海华东电器有限公司第%d分公司"}`, i, i)
	}
	data.WriteString(`]}}`)
	resp := &graphql.Response{Data: data.Bytes()}
	b.Run("writeResult", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeResult(httptest.NewRecorder(), resp)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			writeResponse(httptest.NewRecorder(), http.StatusOK, resp)
		}
	})
}
