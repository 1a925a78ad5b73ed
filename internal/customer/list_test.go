package customer

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// pagedU8 is a U8 source of n records that records the pages asked of it.
type pagedU8 struct {
	n     int
	mu    sync.Mutex
	asked []ListQuery
}

func (p *pagedU8) List(_ context.Context, q ListQuery) (*Page, error) {
	p.mu.Lock()
	p.asked = append(p.asked, q)
	p.mu.Unlock()
	out := &Page{Page: q.Page, PageSize: q.PageSize, Total: p.n, Customers: []*Customer{}}
	for i := (q.Page - 1) * q.PageSize; i < q.Page*q.PageSize && i < p.n; i++ {
		day := time.Date(2026, 1, 1+i%28, 0, 0, 0, 0, time.UTC)
		out.Customers = append(out.Customers, &Customer{Source: U8, SourceID: fmt.Sprintf("%08d", i+1), Name: fmt.Sprint("c", i+1), UpdatedAt: &day})
	}
	return out, nil
}

func (p *pagedU8) Get(context.Context, string) (*Customer, error) { return nil, ErrNotFound }
func (p *pagedU8) FindByName(context.Context, string) ([]*Customer, error) {
	return nil, nil
}

func TestFitPage(t *testing.T) {
	for _, c := range []struct{ off, want, max, size int }{
		{0, 20, 100, 20},   // the first page: exactly the rows wanted
		{20, 20, 100, 20},  // walking on with the same first
		{37, 20, 100, 29},  // an odd offset: the smallest page that holds [37, 57)
		{0, 100, 100, 100}, // as many as the largest page
		{0, 150, 100, 100}, // more than one page holds: pages of max
		{95, 10, 100, 15},  // [90, 105) is the smallest page around [95, 105)
	} {
		size := fitPage(c.off, c.want, c.max)
		if size != c.size {
			t.Errorf("fitPage(%d, %d, %d) = %d, want %d", c.off, c.want, c.max, size, c.size)
			continue
		}
		if size < c.max && c.off/size != (c.off+c.want-1)/size {
			t.Errorf("fitPage(%d, %d, %d) = %d, which does not hold the range in one page", c.off, c.want, c.max, size)
		}
	}
}

// A list the vendor filters by itself asks for just the rows it returns;
// one custgraph filters itself reads full pages.
func TestListAsksTheVendorForWhatItReturns(t *testing.T) {
	src := &pagedU8{n: 250}
	svc := NewService(Sources{U8: src}, ServiceOptions{})
	ctx := context.Background()
	var after string
	var got []string
	for range 3 {
		conn, errs := svc.List(ctx, ListRequest{Sources: []Source{U8}, First: 20, After: after})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		for _, n := range conn.Nodes() {
			got = append(got, n.SourceID)
		}
		after = *conn.PageInfo.EndCursor()
	}
	if len(got) != 60 || got[0] != "00000001" || got[59] != "00000060" {
		t.Fatalf("three pages of 20 read %d records, %v … %v", len(got), got[0], got[len(got)-1])
	}
	want := []ListQuery{{Page: 1, PageSize: 20}, {Page: 2, PageSize: 20}, {Page: 3, PageSize: 20}}
	if fmt.Sprint(src.asked) != fmt.Sprint(want) {
		t.Errorf("vendor pages %v, want %v", src.asked, want)
	}

	src.asked = nil
	since := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	conn, errs := svc.List(ctx, ListRequest{Sources: []Source{U8}, First: 5, Filter: Filter{UpdatedSince: &since}})
	if len(errs) > 0 || len(conn.Edges) != 5 {
		t.Fatalf("filtered list: %d records, %v", len(conn.Edges), errs)
	}
	if len(src.asked) != 1 || src.asked[0].PageSize != 100 {
		t.Errorf("a list custgraph filters read pages %v, want one page of 100", src.asked)
	}
}

// blockingU8 is a U8 source whose calls wait until their caller goes
// away, then fail as an abandoned call does.
type blockingU8 struct{ pagedU8 }

func (b *blockingU8) List(ctx context.Context, _ ListQuery) (*Page, error) {
	<-ctx.Done()
	return nil, UpstreamError(U8, ReasonUnavailable, "", ctx.Err())
}

// A call abandoned because its client went away says nothing of the
// source: it stays healthy, without a last error.
func TestAbandonedCallsLeaveTheSourceHealthy(t *testing.T) {
	svc := NewService(Sources{U8: &blockingU8{}}, ServiceOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = svc.List(ctx, ListRequest{Sources: []Source{U8}, First: 10})
	}()
	cancel()
	<-done
	for _, st := range svc.Statuses(nil) {
		if st.Source == U8 && (!st.Healthy || st.LastError != nil) {
			last := "none"
			if st.LastError != nil {
				last = *st.LastError
			}
			t.Errorf("U8 after an abandoned call: healthy %v, last error %s; want healthy, none", st.Healthy, last)
		}
	}
}
