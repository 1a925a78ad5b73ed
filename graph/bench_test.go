package graph_test

// Benchmarks of execution and response writing alone: the schema over
// in-memory sources, so that no vendor call, decoding or HTTP is in the
// numbers (BenchmarkGateway in the main package has the whole path).
//
//	go test -run '^$' -bench Execute -benchmem ./graph

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"custgraph/graph"
	"custgraph/internal/customer"
	"custgraph/internal/loader"
)

// memorySource serves n records of one source from memory, with an
// in-process cache of every key and name (customer.Peeker), as the
// guard's warm cache would.
type memorySource struct {
	src  customer.Source
	recs []*customer.Customer
}

func newMemorySource(src customer.Source, n int) *memorySource {
	m := &memorySource{src: src}
	for i := range n {
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, customer.Shanghai)
		m.recs = append(m.recs, &customer.Customer{Source: src, SourceID: fmt.Sprintf("%08d", i+1),
			Name: "宁波程锦机械设备有限公司" + strconv.Itoa(i%20), UpdatedAt: &at})
	}
	return m
}

func (m *memorySource) Get(_ context.Context, key string) (*customer.Customer, error) {
	c, _ := m.PeekGet(key)
	if c == nil {
		return nil, customer.NotFoundf("no customer %s", key)
	}
	return c, nil
}

func (m *memorySource) List(_ context.Context, q customer.ListQuery) (*customer.Page, error) {
	from := min((q.Page-1)*q.PageSize, len(m.recs))
	to := min(from+q.PageSize, len(m.recs))
	return &customer.Page{Customers: m.recs[from:to], Page: q.Page, PageSize: q.PageSize, Total: len(m.recs)}, nil
}

func (m *memorySource) FindByName(_ context.Context, name string) ([]*customer.Customer, error) {
	cs, _ := m.PeekName(name)
	return cs, nil
}

func (m *memorySource) Contacts(context.Context, string) ([]customer.CRMContact, error) {
	return nil, nil
}

func (m *memorySource) PeekGet(key string) (*customer.Customer, bool) {
	i, err := strconv.Atoi(key)
	if err != nil || i < 1 || i > len(m.recs) {
		return nil, true
	}
	return m.recs[i-1], true
}

func (m *memorySource) PeekName(name string) ([]*customer.Customer, bool) {
	out := []*customer.Customer{}
	for _, c := range m.recs {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out, true
}

func BenchmarkExecute(b *testing.B) {
	svc := customer.NewService(customer.Sources{U8: newMemorySource(customer.U8, 100), CRM: newMemorySource(customer.CRM, 100)},
		customer.ServiceOptions{})
	h := loader.Middleware(svc, loader.Options{})(graph.NewHandler(&graph.Resolver{Service: svc}, graph.HandlerOptions{}))
	for _, q := range []struct{ name, query string }{
		{"typename", `{ __typename }`},
		{"list_20_rows", `{ customers(sources: [U8], first: 20) { nodes { id name } } }`},
		{"list_20_rows_with_cursors", `{ customers(sources: [U8], first: 20) { edges { cursor node { id name } } } }`},
		{"list_20_rows_matches", `{ customers(sources: [U8], first: 20) { nodes { id name matches(sources: [CRM]) { id name } } } }`},
		{"by_id", `{ customer(id: "u8:00000001") { id name } }`},
	} {
		body := []byte(fmt.Sprintf(`{"query":%q}`, q.query))
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK || bytes.Contains(w.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
