package testclock

import (
	"sync"
	"testing"
	"time"
)

var start = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

func TestTimeMovesOnlyWhenTold(t *testing.T) {
	c := New(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want the start %v", got, start)
	}
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("a second Now = %v, want the start still", got)
	}
	c.Advance(90 * time.Second)
	if got, want := c.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("after Advance(90s) Now = %v, want %v", got, want)
	}
}

func TestStepMovesEveryReading(t *testing.T) {
	c := New(start)
	c.SetStep(time.Hour)
	for i := 1; i <= 3; i++ {
		if got, want := c.Now(), start.Add(time.Duration(i)*time.Hour); !got.Equal(want) {
			t.Fatalf("reading %d = %v, want %v", i, got, want)
		}
	}
	c.SetStep(0)
	if got, want := c.Now(), start.Add(3*time.Hour); !got.Equal(want) {
		t.Fatalf("after SetStep(0) Now = %v, want %v", got, want)
	}
}

// TestConcurrentUse: the code under test reads the clock from its own
// goroutines while the test moves it; no advance is lost (and -race sees
// no race).
func TestConcurrentUse(t *testing.T) {
	c := New(start)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got, want := c.Now(), start.Add(800*time.Millisecond); !got.Equal(want) {
		t.Fatalf("after 800 advances of 1ms Now = %v, want %v", got, want)
	}
}
