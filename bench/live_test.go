package main

import (
	"strings"
	"testing"
	"time"
)

// With -live only, the section replaces its earlier version, else goes
// after the directory's, else before the machine.
func TestSpliceLive(t *testing.T) {
	sec := liveHead + "\n\nnew\n\n"
	doc := "# Benchmarks\n\n" + dirHead + "\n\nd\n\n### sub\n\ns\n\n## Before and after optimising\n\nb\n\n## Machine\n\ny\n"
	once := spliceLive(doc, sec)
	if want := "# Benchmarks\n\n" + dirHead + "\n\nd\n\n### sub\n\ns\n\n" + sec + "## Before and after optimising\n\nb\n\n## Machine\n\ny\n"; once != want {
		t.Fatalf("inserted:\n%s", once)
	}
	if twice := spliceLive(once, strings.Replace(sec, "new", "newer", 1)); strings.Contains(twice, "\nnew\n") || strings.Count(twice, liveHead) != 1 ||
		!strings.Contains(twice, "newer\n\n## Before") {
		t.Fatalf("replaced:\n%s", twice)
	}
	if got := spliceLive("# B\n\n## Machine\n\ny\n", sec); got != "# B\n\n"+sec+"## Machine\n\ny\n" {
		t.Fatalf("no directory section: %q", got)
	}
	if got := spliceLive("# B\n\n"+dirHead+"\n\nd\n", sec); got != "# B\n\n"+dirHead+"\n\nd\n\n"+sec {
		t.Fatalf("the directory's section last: %q", got)
	}
}

func TestLiveFlags(t *testing.T) {
	c, err := parseFlags([]string{"-live", "only", "-live-subscribers", "200", "-live-sync-interval", "500ms"})
	if err != nil || c.live.mode != "only" || c.live.subscribers != 200 || c.live.interval != 500*time.Millisecond || c.live.changes != 20 {
		t.Fatalf("%+v, %v", c.live, err)
	}
	for _, args := range [][]string{{"-live", "maybe"}, {"-live-subscribers", "0"}, {"-live", "only", "-directory", "only"},
		{"-live-customers", "10", "-live-changes", "20"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
