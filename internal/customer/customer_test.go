package customer

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseGlobalID(t *testing.T) {
	tests := []struct {
		give    string
		want    GlobalID
		wantErr string
	}{
		{give: "u8:00000001", want: GlobalID{U8, "00000001"}},
		{give: "u8:ＰＲＰＯ２０１９", want: GlobalID{U8, "ＰＲＰＯ２０１９"}},
		{give: "ycm:50086120", want: GlobalID{YCM, "50086120"}},
		{give: "crm:831", want: GlobalID{CRM, "831"}},
		{give: "00000001", wantErr: "want <source>:<key>"},
		{give: "U8:1", wantErr: "unknown source"},
		{give: "sap:1", wantErr: "unknown source"},
		{give: "u8:", wantErr: "empty key"},
		{give: "ycm:5008a", wantErr: "numbers"},
		{give: "crm:-1", wantErr: "numbers"},
		{give: "u8:a b", wantErr: "spaces"},
		{give: "u8:" + strings.Repeat("9", 65), wantErr: "longer"},
	}
	for _, tt := range tests {
		got, err := ParseGlobalID(tt.give)
		if tt.wantErr != "" {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeBadInput || !strings.Contains(e.Message, tt.wantErr) {
				t.Errorf("ParseGlobalID(%q) error %v, want BadInput mentioning %q", tt.give, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseGlobalID(%q) = %v, %v; want %v", tt.give, got, err, tt.want)
		}
		if got.String() != tt.give {
			t.Errorf("String() = %q, want %q", got.String(), tt.give)
		}
	}
}

func FuzzParseGlobalID(f *testing.F) {
	for _, s := range []string{"u8:00000001", "ycm:1", "crm:", ":", "u8:\x00", "ycm:９"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseGlobalID(s)
		if err != nil {
			if AsError(err).Code != CodeBadInput {
				t.Fatalf("%q: %v is not BadInput", s, err)
			}
			return
		}
		again, err := ParseGlobalID(id.String())
		if err != nil || again != id {
			t.Fatalf("%q does not round-trip: %v %v", s, again, err)
		}
	})
}

func TestErrorMatching(t *testing.T) {
	nf := NotFoundf("no customer 1")
	if !IsNotFound(nf) || !errors.Is(nf, ErrNotFound) {
		t.Error("NotFoundf does not match ErrNotFound")
	}
	up := UpstreamError(CRM, ReasonRateLimited, "429", errors.New("cause"))
	if up.Message != "CRM: upstream rate limit reached" {
		t.Errorf("message %q", up.Message)
	}
	if !IsTransient(up) || IsTransient(UpstreamError(CRM, ReasonAuth, "", nil)) || IsTransient(nf) {
		t.Error("Transient misclassifies")
	}
	if !errors.Is(up, &Error{Code: CodeUpstream, Source: CRM}) || errors.Is(up, &Error{Code: CodeUpstream, Source: U8}) {
		t.Error("Is does not match by source")
	}
	if e := AsError(errors.New("http://x?token=1")); e.Code != CodeInternal || e.Message != "internal error" {
		t.Errorf("a foreign error became %+v", e)
	}
}

func TestFilterMatches(t *testing.T) {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, Shanghai)
	before, after := day.Add(-time.Hour), day.Add(time.Hour)
	u8 := &Customer{Source: U8, SourceID: "00000005", Name: "上海华信电子科技有限公司", UpdatedAt: &after}
	ycm := &Customer{Source: YCM, SourceID: "1", Name: "杭州德润贸易有限公司"}
	crm := &Customer{Source: CRM, SourceID: "2", Name: "华信", UpdatedAt: &before}
	tests := []struct {
		f    Filter
		c    *Customer
		want bool
	}{
		{Filter{}, u8, true},
		{Filter{Name: "华信"}, u8, true},
		{Filter{Name: "德润"}, u8, false},
		{Filter{CodeFrom: "00000001", CodeTo: "00000005"}, u8, true},
		{Filter{CodeFrom: "00000006"}, u8, false},
		{Filter{CodeTo: "00000004"}, u8, false},
		{Filter{CodeFrom: "9"}, ycm, true}, // other sources ignore the code range
		{Filter{UpdatedSince: &day}, u8, true},
		{Filter{UpdatedSince: &day}, crm, false},
		{Filter{UpdatedSince: &day}, ycm, true}, // YCM cannot tell
	}
	for i, tt := range tests {
		if got := tt.f.Matches(tt.c); got != tt.want {
			t.Errorf("%d: %+v matches %s = %v, want %v", i, tt.f, tt.c.ID(), got, tt.want)
		}
	}
}

func TestCursorIsTiedToItsQuestion(t *testing.T) {
	fp := fingerprint([]Source{U8, CRM}, Filter{Name: "华"})
	c := &cursor{V: cursorVersion, F: fp, O: map[Source]int{U8: 40}, D: map[Source]bool{CRM: true}}
	got, err := decodeCursor(c.encode(), fp)
	if err != nil || got.O[U8] != 40 || !got.D[CRM] {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, err := decodeCursor(c.encode(), fingerprint([]Source{U8}, Filter{Name: "华"})); err == nil {
		t.Error("a cursor of another question was accepted")
	}
	for _, bad := range []string{"%%%", "e30", c.encode() + "x"} {
		if _, err := decodeCursor(bad, fp); err == nil || AsError(err).Code != CodeBadInput {
			t.Errorf("cursor %q: got %v, want BadInput", bad, err)
		}
	}
}

// TestRefusedSaysWhyInItsMessage: a failure custgraph decided carries its
// detail in the message the client reads, after the reason's own words,
// and matches like any upstream failure of its source and reason.
func TestRefusedSaysWhyInItsMessage(t *testing.T) {
	e := Refused(CRM, ReasonUnavailable, "circuit open, calls resume within 10s", errors.New("cause"))
	if e.Message != "CRM: upstream unavailable (circuit open, calls resume within 10s)" || e.Detail == "" || e.UpstreamCode != "" {
		t.Errorf("got %+v", e)
	}
	if !errors.Is(e, &Error{Code: CodeUpstream, Source: CRM, Reason: ReasonUnavailable}) {
		t.Error("a refusal does not match its source and reason")
	}
}
