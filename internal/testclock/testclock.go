// Package testclock is the one fake clock of the tests. Time on it moves
// only when a test says, so tests assert what the code decided (a token
// expired, an entry went stale, a turn was booked) rather than when a
// goroutine happened to wake up, and they run the same on a loaded
// machine as on an idle one.
//
// It is a normal package, not a _test.go file, so that the tests of every
// package can share it; only tests import it. The code under test takes
// its time as a func() time.Time: pass Clock.Now.
package testclock

import (
	"sync"
	"time"
)

// Clock is a time source that moves only by Advance, or by the step set
// with SetStep. It is safe for concurrent use, because the code under test
// reads it from its own goroutines (servers, token fetches, fan-outs)
// while the test moves it.
type Clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

// New returns a Clock that reads start until it is moved.
func New(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time, first advancing it by the step (zero
// unless SetStep was called). Its signature is that of time.Now, so that
// c.Now can be passed wherever the code takes a func() time.Time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// SetStep makes every later Now advance the clock by d before reading it,
// for tests where time must pass between any two readings (a token that
// has always expired by the time it is checked). Zero stops it.
func (c *Clock) SetStep(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step = d
}
