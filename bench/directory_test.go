package main

import (
	"strings"
	"testing"

	"custgraph/internal/customer"
	"custgraph/internal/sim/fixture"
)

// The terms come from generated names: the city, then the brand.
func TestBrandAt(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		want string
	}{
		{"上海华信电子科技有限公司", 1, "华"},
		{"上海华信电子科技有限公司", 2, "华信"},
		{"上海市华信电子科技有限公司", 4, "华信电子"},
		{"王伟", 2, ""},
		{"Acme Ltd", 2, ""},
	} {
		if got := brandAt(tc.name, tc.n); got != tc.want {
			t.Errorf("brandAt(%q, %d) = %q, want %q", tc.name, tc.n, got, tc.want)
		}
	}
}

// A number is typed in four ways, every one with its digits.
func TestTyped(t *testing.T) {
	for i, want := range []string{"13811388661", "+86 138 1138 8661", "0086-138-1138-8661", "138 1138 8661"} {
		if got := typed("13811388661", i); got != want {
			t.Errorf("typed mobile %d = %q, want %q", i, got, want)
		}
	}
	for i, want := range []string{"(0571)88886666", "0571-88886666", "+86 571 88886666", "0571 8888 6666"} {
		if got := typed("0571-88886666", i); got != want {
			t.Errorf("typed landline %d = %q, want %q", i, got, want)
		}
	}
	if got := typed("021-12345678", 0); got != "(021)12345678" {
		t.Errorf("a 3-digit area code: %q", got)
	}
	for _, n := range []string{"0571-88886666转801", "0571 8888 6666 转 801"} {
		if got := typed(n, 1); got != "0571-88886666" {
			t.Errorf("typed(%q) = %q: the extension is no part of the number looked up", n, got)
		}
	}
}

// Every number the simulators' records hold, typed as the bench types it,
// is the same number to the gateway's normalizer (issue 16 added the
// formats people type, extensions among them).
func TestTypedNumbersNormalizeAlike(t *testing.T) {
	w := fixture.Generate(fixture.Options{Seed: 5, Customers: 3000})
	checked := 0
	for _, recs := range [][]*fixture.Company{w.U8, w.YCM, w.CRM} {
		for _, c := range recs {
			numbers := []string{c.Tel}
			for _, p := range c.Contacts {
				numbers = append(numbers, p.Mobile)
			}
			for i, n := range numbers {
				want, err := customer.NormalizePhone(n)
				if err != nil {
					continue
				}
				checked++
				// customersByPhone matches the number, whatever the extension.
				if got, err := customer.NormalizePhone(typed(n, i)); err != nil || got.Number != want.Number {
					t.Fatalf("%q typed as %q normalizes to %v %v, want %v", n, typed(n, i), got, err, want)
				}
			}
		}
	}
	if checked < 3000 {
		t.Errorf("only %d numbers checked", checked)
	}
}

// With -directory only, the section replaces its earlier version and
// leaves the rest of the report as it was.
func TestSpliceSection(t *testing.T) {
	sec := "## The directory (issue 15)\n\nnew\n\n"
	doc := "# Benchmarks\n\n## Peak memory\n\nx\n\n## Machine\n\ny\n"
	once := spliceSection(doc, dirHead, sec)
	if want := "# Benchmarks\n\n## Peak memory\n\nx\n\n" + sec + "## Machine\n\ny\n"; once != want {
		t.Fatalf("inserted:\n%s", once)
	}
	twice := spliceSection(once, dirHead, strings.Replace(sec, "new", "newer\n\n### sub", 1))
	if strings.Contains(twice, "\nnew\n") || !strings.Contains(twice, "newer\n\n### sub\n\n## Machine\n\ny\n") {
		t.Fatalf("replaced:\n%s", twice)
	}
	if got := spliceSection("", dirHead, sec); got != sec {
		t.Fatalf("into nothing: %q", got)
	}
}

func TestDirectoryFlags(t *testing.T) {
	c, err := parseFlags([]string{"-directory", "only", "-directory-sync-sizes", "100, 1000"})
	if err != nil || c.dir.mode != "only" || len(c.dir.syncSizes) != 2 || c.dir.syncSizes[1] != 1000 || c.dir.customers != 100000 {
		t.Fatalf("%+v, %v", c.dir, err)
	}
	for _, args := range [][]string{{"-directory", "maybe"}, {"-directory-sync-sizes", "10,x"}, {"-directory-workers", "0"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
