package quota

import (
	"slices"
	"sync"
	"time"
)

// lagSamples is how many recent calls Lag remembers: enough to span a few
// CRM windows, few enough that a change of network follows within them.
const lagSamples = 32

// minSlack is the least slack: timers and clocks are not exact to the
// millisecond, on our side or the vendor's.
const minSlack = 20 * time.Millisecond

// Lag learns how late after its turn a call can reach the vendor, which is
// what the slack between two windows must cover.
//
// The vendor counts a call when it arrives, and a call booked for turn t
// arrives at t + d, where d is the time it took to be sent (a dial, a TLS
// handshake, a busy scheduler) and to cross the network. Two calls booked
// exactly a period apart are then counted d₁ − d₂ closer together, and a
// later call never arrives before its turn (d₂ ≥ 0), so a span of
// Per + slack keeps the vendor's count whenever slack ≥ d₁ for every
// earlier call. d itself cannot be seen from here, but it is bounded by
// what can: the answer's first byte comes after the vendor received the
// call, so d ≤ the time from the turn to the response headers. Lag keeps
// the last lagSamples of those times, and the slack is the largest:
// conservative by the vendor's own processing time, and never a guess.
//
// A vendor that refuses a call for its quota even so has seen a call later
// than any sample told: Refused doubles the slack for the next
// lagSamples calls.
type Lag struct {
	per time.Duration

	mu      sync.Mutex
	samples [lagSamples]time.Duration
	n, next int
}

// NewLag returns a Lag for a quota of period per.
func NewLag(per time.Duration) *Lag { return &Lag{per: per} }

// MaxSlack is the most slack a period per gets: half of it, so that the
// quota keeps at least two thirds of its calls however late they arrive.
// Calls that reach the vendor later than that (a process starved of CPU
// for seconds) are refused by the vendor and made again (see httpx).
func MaxSlack(per time.Duration) time.Duration { return max(per/2, minSlack) }

// Slack returns the margin added to the period: the largest lag of the
// recent calls, at least minSlack and at most MaxSlack(per). Before any
// call has been answered it is DefaultSlack(per).
func (l *Lag) Slack() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return DefaultSlack(l.per)
	}
	return clampSlack(slices.Max(l.samples[:l.n]), l.per)
}

// Need returns how long a call usually takes from its turn to its answer
// (the median of the recent calls; 0 before any): a turn that leaves a
// call less time than this before its deadline cannot end in an answer,
// so it is not worth a wait, nor a turn of the vendor's quota.
func (l *Lag) Need() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return 0
	}
	s := slices.Clone(l.samples[:l.n])
	slices.Sort(s)
	return s[len(s)/2]
}

// Observe records that a call's answer began d after its turn.
func (l *Lag) Observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	l.mu.Lock()
	l.add(d)
	l.mu.Unlock()
}

// Refused records that the vendor counted a call later than the slack
// allowed: the slack doubles (up to MaxSlack) until lagSamples newer calls
// have been answered.
func (l *Lag) Refused() {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := DefaultSlack(l.per)
	if l.n > 0 {
		cur = clampSlack(slices.Max(l.samples[:l.n]), l.per)
	}
	l.add(clampSlack(2*cur, l.per))
}

func (l *Lag) add(d time.Duration) {
	l.samples[l.next] = d
	l.next = (l.next + 1) % lagSamples
	l.n = min(l.n+1, lagSamples)
}

func clampSlack(d, per time.Duration) time.Duration {
	return min(max(d, minSlack), MaxSlack(per))
}

// DefaultSlack is the slack before any call has been answered: 5 % of the
// period, at least minSlack and at most MaxSlack, a prior that the first
// answers replace.
func DefaultSlack(per time.Duration) time.Duration {
	return clampSlack(per/20, per)
}
