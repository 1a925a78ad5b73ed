package u8

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"custgraph/internal/sim/calls"
	"custgraph/internal/sim/fixture"
	"custgraph/internal/testclock"
)

// newChangeEnv serves s (built from records or companies) and keeps it, so
// that tests can change its records.
func newChangeEnv(t *testing.T, o Options) (*env, *Server) {
	t.Helper()
	e := &env{rec: calls.NewRecorder(), clock: testclock.New(time.Date(2026, 11, 30, 9, 0, 0, 0, fixture.Shanghai))}
	o.Now = e.clock.Now
	s := New(o)
	e.srv = httptest.NewServer(s)
	t.Cleanup(e.srv.Close)
	return e, s
}

func codes(rows []map[string]any) string {
	var out []string
	for _, r := range rows {
		out = append(out, r["code"].(string))
	}
	return strings.Join(out, ",")
}

func TestGeneratedMarkersAreInThePastAndStampsGrow(t *testing.T) {
	w := fixture.Generate(fixture.Options{Seed: 3, Customers: 500})
	recs := buildRecords(w.U8)
	seen := map[int64]bool{}
	for _, r := range recs {
		if !r.modified.Before(time.Now()) {
			t.Errorf("%s: ModifyDate %v is not in the past", r.code, r.modified)
		}
		if seen[r.stamp] {
			t.Errorf("%s: timestamp %d given twice", r.code, r.stamp)
		}
		seen[r.stamp] = true
		for _, o := range recs { // a later ModifyDate always has a greater timestamp
			if o.modified.After(r.modified) && o.stamp <= r.stamp {
				t.Fatalf("%s modified after %s but its timestamp %d is not greater than %d", o.code, r.code, o.stamp, r.stamp)
			}
		}
	}
}

func TestPutAndDeleteSetMarkersAndShowInFilters(t *testing.T) {
	w := fixture.Generate(fixture.Options{Seed: 3, Customers: 40})
	e, s := newChangeEnv(t, Options{Companies: w.U8})
	before := e.batch(t, nil, 50)
	var top int64
	for _, r := range before {
		top = max(top, stamp(r))
	}
	after := strconv.FormatInt(top+1, 10)
	if got := e.batch(t, url.Values{"timestamp_begin": {after}}, 50); len(got) != 0 {
		t.Fatalf("timestamp_begin past every record gave %s", codes(got))
	}

	// Replace, create, replace again: each change stamps above all others.
	steps := []struct {
		code    string
		body    string
		created bool
	}{
		{"00000007", `{"name":"改过的名字","mobile":13912345678,"ModifyDate":"1999-01-01","timestamp":"1"}`, false},
		{"X0001", `{"code":"ignored","name":"新客户"}`, true},
		{"00000007", `{"name":"又改了","mobile":13912345678}`, false},
	}
	var last int64 = top
	for _, st := range steps {
		e.clock.Advance(time.Minute)
		raw, created, err := s.PutRecord(st.code, []byte(st.body))
		if err != nil || created != st.created {
			t.Fatalf("put %s: created %v err %v, want created %v", st.code, created, err, st.created)
		}
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(string(raw)))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		n := stamp(m)
		if m["code"] != st.code || n <= last || m["ModifyDate"] != e.clock.Now().Format(dateTimeLayout) {
			t.Errorf("put %s stored %s; want its code, a timestamp above %d and ModifyDate now", st.code, raw, last)
		}
		last = n
	}
	got := e.batch(t, url.Values{"timestamp_begin": {after}}, 50)
	if codes(got) != "00000007,X0001" {
		t.Errorf("timestamp_begin=%s gave %s, want the changed 00000007,X0001", after, codes(got))
	}
	if got[0]["mobile"] != json.Number("13912345678") || got[0]["name"] != "又改了" {
		t.Errorf("stored %v, want the last body with mobile still a number", got[0])
	}
	got = e.batch(t, url.Values{"timestamp_begin": {after}, "timestamp_end": {strconv.FormatInt(last-1, 10)}}, 50)
	if codes(got) != "X0001" {
		t.Errorf("timestamp range gave %s, want X0001", codes(got))
	}
	today := e.clock.Now().Format(dateLayout)
	if got := e.batch(t, url.Values{"ModifyDate_begin": {today}}, 50); codes(got) != "00000007,X0001" {
		t.Errorf("ModifyDate_begin=%s gave %s, want the changed records", today, codes(got))
	}
	m := e.get(t, "/api/customer/get", e.api(t, url.Values{"id": {"X0001"}}))
	wantCode(t, m, CodeOK)

	if !s.DeleteRecord("X0001") || s.DeleteRecord("X0001") {
		t.Error("delete: want true once, then false")
	}
	wantCode(t, e.get(t, "/api/customer/get", e.api(t, url.Values{"id": {"X0001"}})), CodeNoMatch)
	if got := e.batch(t, nil, 50); len(got) != len(before) {
		t.Errorf("%d records after create and delete, want %d", len(got), len(before))
	}
	if s.DeleteRecord("nope") {
		t.Error("deleting an unknown code said true")
	}
	// A change after deleting the newest record still stamps above it.
	if !s.DeleteRecord("00000007") {
		t.Fatal("delete 00000007 failed")
	}
	if raw, _, _ := s.PutRecord("00000001", []byte(`{"name":"a"}`)); !strings.Contains(string(raw), `"timestamp":"`+strconv.FormatInt(last+1, 10)+`"`) {
		t.Errorf("put after deleting the newest stored %s, want timestamp %d", raw, last+1)
	}
}

func TestModifyDateFilterLeavesOutRecordsWithoutOne(t *testing.T) {
	recs, err := ParseRecords([]byte(`[
		{"code":"A","name":"有日期","ModifyDate":"2024-03-05 10:00:00","timestamp":"10"},
		{"code":"B","name":"只有日","ModifyDate":"2024-03-06"},
		{"code":"C","name":"没有日期","timestamp":"5"}]`))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := newChangeEnv(t, Options{Records: recs})
	tests := []struct {
		filter url.Values
		want   string
	}{
		{nil, "A,B,C"},
		{url.Values{"ModifyDate_end": {"2030-01-01"}}, "A,B"},
		{url.Values{"ModifyDate_begin": {"2024-03-05 10:00:01"}}, "B"},
		{url.Values{"ModifyDate_begin": {"2024-03-05"}, "ModifyDate_end": {"2024-03-05"}}, "A"},
		{url.Values{"timestamp_begin": {"6"}}, "A,B"}, // B got 11, above the file's top
		{url.Values{"timestamp_end": {"9"}}, "C"},
		{url.Values{"timestamp_begin": {"11"}, "timestamp_end": {"11"}}, "B"},
	}
	for _, tt := range tests {
		if got := codes(e.batch(t, tt.filter, 2)); got != tt.want {
			t.Errorf("%v: got %s, want %s", tt.filter, got, tt.want)
		}
	}
}

func TestParseRecordsErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"not JSON", `[{`, "JSON array"},
		{"not an array", `{"code":"A"}`, "JSON array"},
		{"not an object", `[{"code":"A"},3]`, "record 1: want a JSON object"},
		{"no code", `[{"name":"x"}]`, "record 0: code"},
		{"code a number", `[{"code":7}]`, "record 0: code"},
		{"duplicate", `[{"code":"A"},{"code":"A"}]`, `record 1 (code "A"): the code is already used`},
		{"bad ModifyDate", `[{"code":"A","ModifyDate":"2024/01/01"}]`, `record 0 (code "A"): ModifyDate "2024/01/01"`},
		{"bad timestamp", `[{"code":"A","timestamp":"0x1F"}]`, "timestamp"},
		{"name an object", `[{"code":"A","name":{}}]`, "name must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRecords([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestPutRecordRefusesBadBodies(t *testing.T) {
	_, s := newChangeEnv(t, Options{Companies: fixture.Generate(fixture.Options{Customers: 5}).U8})
	for _, body := range []string{``, `[]`, `"x"`, `{"name":1}`, `{"a":1} {}`, `{"seed_date":"soon"}`} {
		if _, _, err := s.PutRecord("00000001", []byte(body)); err == nil {
			t.Errorf("put %q: no error", body)
		}
	}
}
