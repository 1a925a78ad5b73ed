package directory_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"custgraph/internal/customer"
	"custgraph/internal/directory"
)

var (
	u8One  = directory.Key{Source: customer.U8, ID: "0001"}
	crmOne = directory.Key{Source: customer.CRM, ID: "101"}
	ycmOne = directory.Key{Source: customer.YCM, ID: "7"}
	t0     = time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC)
)

func openFile(t *testing.T, dir string) *directory.File {
	t.Helper()
	f, reset, err := directory.OpenFile(dir)
	if err != nil || reset != "" {
		t.Fatalf("OpenFile: %v %q", err, reset)
	}
	return f
}

// byPair indexes a snapshot's decisions by their pair.
func byPair(decs []directory.Decision) map[string]directory.Decision {
	out := map[string]directory.Decision{}
	for _, d := range decs {
		out[directory.PairKey(d.A, d.B)] = d
	}
	return out
}

func TestNewDecisionIsCanonical(t *testing.T) {
	a := directory.NewDecision(u8One, crmOne, true, "jwt:alice", t0.In(time.FixedZone("CST", 8*3600)))
	b := directory.NewDecision(crmOne, u8One, true, "jwt:alice", t0)
	if a != b || a.A != crmOne || a.B != u8One {
		t.Fatalf("NewDecision is not canonical: %+v vs %+v", a, b)
	}
	if directory.PairKey(u8One, crmOne) != directory.PairKey(crmOne, u8One) {
		t.Fatal("PairKey depends on the order")
	}
	v, err := directory.EncodeDecision(a)
	if err != nil {
		t.Fatal(err)
	}
	back, err := directory.DecodeDecision(v)
	if err != nil || back != a {
		t.Fatalf("round trip: %+v %v, want %+v", back, err, a)
	}
}

// TestFileKeepsDecisions: decisions persist across a reopen, and the last
// committed on a pair wins, whatever the order of its keys.
func TestFileKeepsDecisions(t *testing.T) {
	dir := t.TempDir()
	f := openFile(t, dir)
	if _, err := f.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, b := range []*directory.Batch{
		{Decisions: []directory.Decision{directory.NewDecision(u8One, crmOne, true, "jwt:alice", t0)}},
		{Decisions: []directory.Decision{directory.NewDecision(u8One, ycmOne, true, "jwt:alice", t0)}},
		{Decisions: []directory.Decision{directory.NewDecision(crmOne, u8One, false, "apikey:01234567", t0.Add(time.Minute))}},
	} {
		if err := f.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()

	f = openFile(t, dir)
	defer f.Close()
	snap, err := f.Load(ctx)
	if err != nil || snap.Reset != "" {
		t.Fatalf("Load: %v %q", err, snap.Reset)
	}
	got := byPair(snap.Decisions)
	if len(got) != 2 || len(snap.Decisions) != 2 {
		t.Fatalf("decisions after reopen: %+v, want two", snap.Decisions)
	}
	want := directory.NewDecision(u8One, crmOne, false, "apikey:01234567", t0.Add(time.Minute))
	if d := got[directory.PairKey(u8One, crmOne)]; d != want {
		t.Errorf("U8/CRM decision %+v, want the later rejection %+v", d, want)
	}
	if d := got[directory.PairKey(ycmOne, u8One)]; !d.Same {
		t.Errorf("U8/YCM decision %+v, want confirmed", d)
	}

	// A batch of decisions carries nothing else.
	mixed := &directory.Batch{Source: customer.U8, Decisions: []directory.Decision{want}}
	if err := f.Commit(ctx, mixed); !errors.Is(err, directory.ErrMixedBatch) {
		t.Errorf("a mixed batch: %v, want ErrMixedBatch", err)
	}
	bad := &directory.Batch{Decisions: []directory.Decision{{A: u8One, B: directory.Key{Source: customer.U8, ID: "2"}}}}
	if err := f.Commit(ctx, bad); err == nil {
		t.Error("a decision on two U8 records was committed")
	}
}

// TestFileKeepsDecisionsWhenRecordsAreDropped: a file of another format
// version loses its records and states (the vendors give them back) but
// not the decisions (nobody could).
func TestFileKeepsDecisionsWhenRecordsAreDropped(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	f := openFile(t, dir)
	if _, err := f.Load(ctx); err != nil {
		t.Fatal(err)
	}
	at := t0
	if err := f.Commit(ctx, &directory.Batch{Source: customer.U8, Upserts: []*directory.Entry{{C: &customer.Customer{Source: customer.U8, SourceID: "0001", Name: "x", UpdatedAt: &at}}},
		State: &directory.State{Complete: true}}); err != nil {
		t.Fatal(err)
	}
	dec := directory.NewDecision(u8One, crmOne, true, "jwt:alice", t0)
	if err := f.Commit(ctx, &directory.Batch{Decisions: []directory.Decision{dec}}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db, err := bolt.Open(filepath.Join(dir, "directory.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte("0")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	f = openFile(t, dir)
	defer f.Close()
	snap, err := f.Load(ctx)
	if err != nil || snap.Reset == "" {
		t.Fatalf("Load of another version: %v, reset %q", err, snap.Reset)
	}
	if len(snap.Entries[customer.U8]) != 0 || len(snap.States) != 0 {
		t.Errorf("records or states of another version were read: %d, %d", len(snap.Entries[customer.U8]), len(snap.States))
	}
	if len(snap.Decisions) != 1 || snap.Decisions[0] != dec {
		t.Errorf("decisions after the reset: %+v, want %+v", snap.Decisions, dec)
	}
	// And again, from the file now stamped with this version.
	snap, err = f.Load(ctx)
	if err != nil || snap.Reset != "" || len(snap.Decisions) != 1 {
		t.Errorf("second Load: %v %q %+v", err, snap.Reset, snap.Decisions)
	}
}

// TestDirectoryDecisions: on the memory store the directory holds the
// decisions in-process; the last on a pair wins, DecisionsOf finds every
// pair of a record, and OnDecision hears each, in order.
func TestDirectoryDecisions(t *testing.T) {
	var mu sync.Mutex
	var heard []directory.Decision
	d := directory.New(directory.Options{OnDecision: func(dec directory.Decision) {
		mu.Lock()
		heard = append(heard, dec)
		mu.Unlock()
	}})
	run(t, d)
	ctx := context.Background()
	confirm := directory.Decision{A: u8One, B: crmOne, Same: true, By: "jwt:alice", At: t0}
	reject := directory.Decision{A: crmOne, B: u8One, Same: false, By: "jwt:bob", At: t0.Add(time.Minute)}
	other := directory.Decision{A: ycmOne, B: u8One, Same: true, By: "jwt:alice"} // At: now
	for _, dec := range []directory.Decision{confirm, reject, other} {
		if err := d.Decide(ctx, dec); err != nil {
			t.Fatal(err)
		}
	}
	got, ok := d.Decision(u8One, crmOne)
	if !ok || got != reject.Normalize() {
		t.Fatalf("Decision(U8, CRM) = %+v %v, want the later rejection", got, ok)
	}
	if got2, _ := d.Decision(crmOne, u8One); got2 != got {
		t.Error("Decision depends on the order of its keys")
	}
	of := d.DecisionsOf(u8One)
	if len(of) != 2 || of[0].A != crmOne || of[0].Same || of[1].B != ycmOne || !of[1].Same || of[1].At.IsZero() {
		t.Errorf("DecisionsOf(U8) = %+v", of)
	}
	if of := d.DecisionsOf(ycmOne); len(of) != 1 {
		t.Errorf("DecisionsOf(YCM) = %+v, want one", of)
	}
	if of := d.DecisionsOf(directory.Key{Source: customer.CRM, ID: "nobody"}); len(of) != 0 {
		t.Errorf("DecisionsOf(an undecided record) = %+v", of)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(heard) != 3 || heard[0].Same != true || heard[1] != reject.Normalize() {
		t.Errorf("OnDecision heard %+v", heard)
	}
}

// TestDecideValidates: a decision that is not on two records of two
// sources is refused, and nothing is kept.
func TestDecideValidates(t *testing.T) {
	d := directory.New(directory.Options{})
	run(t, d)
	ctx := context.Background()
	for name, dec := range map[string]directory.Decision{
		"same source":    {A: u8One, B: directory.Key{Source: customer.U8, ID: "0002"}, Same: true},
		"same record":    {A: u8One, B: u8One, Same: true},
		"empty ID":       {A: u8One, B: directory.Key{Source: customer.CRM}, Same: true},
		"empty source":   {A: u8One, B: directory.Key{ID: "101"}, Same: true},
		"unknown source": {A: u8One, B: directory.Key{Source: "SAP", ID: "101"}, Same: true},
		"lower case":     {A: u8One, B: directory.Key{Source: "crm", ID: "101"}, Same: true},
		"no keys":        {},
	} {
		if err := d.Decide(ctx, dec); err == nil {
			t.Errorf("%s: Decide accepted %+v", name, dec)
		}
	}
	if of := d.DecisionsOf(u8One); len(of) != 0 {
		t.Errorf("refused decisions were kept: %+v", of)
	}
}

// TestDirectoryDecisionsSurviveRestart: on a file, a restarted directory
// has the decisions made before (and tells OnDecision of them).
func TestDirectoryDecisionsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	f := openFile(t, dir)
	d := directory.New(directory.Options{Store: f})
	stop := run(t, d)
	dec := directory.Decision{A: u8One, B: crmOne, Same: true, By: "apikey:01234567", At: t0}
	if err := d.Decide(context.Background(), dec); err != nil {
		t.Fatal(err)
	}
	stop()
	f.Close()

	f = openFile(t, dir)
	defer f.Close()
	heard := make(chan directory.Decision, 1)
	d = directory.New(directory.Options{Store: f, OnDecision: func(dec directory.Decision) { heard <- dec }})
	run(t, d)
	if err := d.WaitLoaded(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, ok := d.Decision(crmOne, u8One); !ok || got != dec.Normalize() {
		t.Fatalf("after the restart: %+v %v, want %+v", got, ok, dec.Normalize())
	}
	if got := <-heard; got != dec.Normalize() {
		t.Errorf("OnDecision at load: %+v", got)
	}
}

// TestDecideLinkLogsThePrincipal: a link decision made through the
// resolver's interface is logged with who made it, and reaches the links.
func TestDecideLinkLogsThePrincipal(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil))
	d := directory.New(directory.Options{Log: log})
	run(t, d)
	a := customer.GlobalID{Source: customer.U8, Key: "0001"}
	b := customer.GlobalID{Source: customer.CRM, Key: "101"}
	if err := d.DecideLink(context.Background(), a, b, true, "jwt:alice"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	line := buf.String()
	mu.Unlock()
	for _, want := range []string{`"principal":"jwt:alice"`, `"decision":"confirmed"`, `"a":"u8:0001"`, `"b":"crm:101"`} {
		if !strings.Contains(line, want) {
			t.Errorf("the log %q lacks %s", line, want)
		}
	}
	c := &customer.Customer{Source: customer.U8, SourceID: "0001", Name: "杭州卓创纺织有限公司"}
	if links := d.Identities().Links(c, nil, d.Verdicts(a)); len(links) != 1 || links[0].ID != b || links[0].Confidence != 1 {
		t.Errorf("links after the decision: %+v", links)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
