package redisstore

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"custgraph/internal/quota"
)

// bookScript books the next turn of a sliding-window quota held in a
// sorted set (member → turn in ms): the same rule as quota.Window, atomic
// in Redis and on Redis's clock, so that replicas' clocks do not matter.
// ARGV: span ms, N, limit ms (longest acceptable wait), member, keep ms
// (how long a turn may matter: the period and the most slack).
// Returns {booked (0|1), wait ms, turn ms}.
var bookScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local span, n, limit, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - keep)
local count = redis.call('ZCARD', KEYS[1])
local turn = now
if count > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  turn = math.max(turn, tonumber(last[2]))
  if count >= n then
    local nth = redis.call('ZRANGE', KEYS[1], count - n, count - n, 'WITHSCORES')
    turn = math.max(turn, tonumber(nth[2]) + span)
  end
end
if turn - now > limit then
  return {0, turn - now, turn}
end
redis.call('ZADD', KEYS[1], turn, ARGV[4])
redis.call('PEXPIRE', KEYS[1], turn - now + keep + 1000)
return {1, turn - now, turn}
`)

// backgroundScript books a turn for a background call at Redis's now, when
// live calls can spare it (quota.Window's rule, see quota.Background): no
// turn is booked after now (nobody queued) and, with it, the span ending
// now holds at most N − reserve turns. Otherwise it books nothing and says
// how long until it may. ARGV: span ms, N, reserve, member, keep ms.
// Returns {booked (0|1), wait ms, turn ms}.
var backgroundScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local span, n, reserve, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - keep)
local count = redis.call('ZCARD', KEYS[1])
local at = now
if count > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  at = math.max(at, tonumber(last[2]))
  local k = n - reserve
  if count >= k then
    local kth = redis.call('ZRANGE', KEYS[1], count - k, count - k, 'WITHSCORES')
    at = math.max(at, tonumber(kth[2]) + span)
  end
end
if at > now then
  return {0, at - now, 0}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], keep + 1000)
return {1, 0, now}
`)

// fillScript books the whole quota as quota.Window.FillUntil does: N turns
// at the later of now, the last booked turn and until − period.
// ARGV: N, until − period as ms from now (may be negative), member
// prefix, keep ms.
var fillScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n, offset, keep = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
local at = math.max(now, now + offset)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last > 0 then at = math.max(at, tonumber(last[2])) end
for i = 1, n do redis.call('ZADD', KEYS[1], at, ARGV[3] .. ':' .. i) end
redis.call('PEXPIRE', KEYS[1], at - now + keep + 1000)
return at
`)

// Limiter keeps one vendor quota for every replica sharing the Store. While
// Redis is unreachable it falls back to local, a per-replica share of the
// quota (see NewLimiter).
type Limiter struct {
	store *Store
	key   string
	rate  quota.Rate
	local *quota.Window
	// lag is local's: what this replica learns of its calls' lateness
	// sets the slack whether the quota is shared or kept alone.
	lag *quota.Lag
	// isAlone is set while this replica keeps its share by itself.
	isAlone atomic.Bool
}

var _ quota.Limiter = (*Limiter)(nil)

// NewLimiter returns a shared Limiter for rate under name (e.g. "crm").
// replicas is how many replicas share the quota: while Redis is down each
// keeps rate.N/replicas calls (at least one) per period by itself, from
// one period after it lost Redis.
func NewLimiter(store *Store, name string, rate quota.Rate, replicas int) *Limiter {
	share := rate
	if replicas > 1 {
		share.N = max(1, rate.N/replicas)
	}
	local := quota.NewWindow(share, nil)
	return &Limiter{store: store, key: prefix + "quota:" + name, rate: rate, local: local, lag: local.Lag()}
}

// keep is how long a booked turn can matter to a later booking.
func (l *Limiter) keep() time.Duration { return l.rate.Per + quota.MaxSlack(l.rate.Per) }

// Take implements quota.Limiter.
func (l *Limiter) Take(ctx context.Context, maxWait time.Duration) (*quota.Turn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if quota.IsBackground(ctx) {
		return l.takeBackground(ctx, maxWait)
	}
	limit := quota.Limit(ctx, time.Now(), maxWait, l.lag.Need())
	member := l.store.token()
	span := l.rate.Per + l.lag.Slack()
	var res []int64
	sent := time.Now()
	err := l.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		var err error
		res, err = bookScript.Run(ctx, rdb, []string{l.key}, span.Milliseconds(), l.rate.N,
			max(limit.Milliseconds(), 0), member, l.keep().Milliseconds()).Int64Slice()
		return err
	})
	// Redis read its clock somewhere within this round trip: the turn
	// may have come up to that much before the wait below ends.
	rtt := time.Since(sent)
	if err != nil {
		return l.alone(ctx, maxWait)
	}
	l.isAlone.Store(false)
	wait := time.Duration(res[1]) * time.Millisecond
	if res[0] == 0 {
		return nil, &quota.ExceededError{Rate: l.rate, Wait: wait}
	}
	return l.turn(ctx, member, wait, time.UnixMilli(res[2]), rtt)
}

// alone takes a turn of this replica's share when Redis did not answer
// (after ctx's own end, ctx's error). The others may have spent the whole
// current window, so the share starts a window later. A background call
// keeps its rule on the share (quota.Window's).
func (l *Limiter) alone(ctx context.Context, maxWait time.Duration) (*quota.Turn, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if l.isAlone.CompareAndSwap(false, true) {
		l.local.Fill()
	}
	return l.local.Take(ctx, maxWait)
}

// turn waits for a turn Redis booked for member, wait away, and returns it.
func (l *Limiter) turn(ctx context.Context, member string, wait time.Duration, at time.Time, rtt time.Duration) (*quota.Turn, error) {
	giveBack := func() {
		// Give the turn back; best effort, on a context of its own.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.store.timeout)
		defer cancel()
		_ = l.store.do(rctx, func(ctx context.Context, rdb *redis.Client) error {
			return rdb.ZRem(ctx, l.key, member).Err()
		})
	}
	if err := quota.AwaitTurn(ctx, wait, giveBack); err != nil {
		return nil, err
	}
	return quota.NewTurn(at, rtt, l.lag, giveBack, func(after time.Duration) { l.fill(ctx, after) }), nil
}

// takeBackground is Take under a quota.Background context: the turn is
// booked at once by backgroundScript when every replica's live calls can
// spare it; otherwise it waits as long as Redis said, and asks again, for
// as long as ctx allows (maxWait aside; it matters only to the fallback's
// live rule, which a background call does not use).
func (l *Limiter) takeBackground(ctx context.Context, maxWait time.Duration) (*quota.Turn, error) {
	reserve := quota.Reserve(l.rate)
	for {
		member := l.store.token()
		span := l.rate.Per + l.lag.Slack()
		var res []int64
		sent := time.Now()
		err := l.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
			var err error
			res, err = backgroundScript.Run(ctx, rdb, []string{l.key}, span.Milliseconds(), l.rate.N,
				reserve, member, l.keep().Milliseconds()).Int64Slice()
			return err
		})
		rtt := time.Since(sent)
		if err != nil {
			return l.alone(ctx, maxWait)
		}
		l.isAlone.Store(false)
		if res[0] == 1 {
			return l.turn(ctx, member, 0, time.UnixMilli(res[2]), rtt)
		}
		wait := time.Duration(res[1]) * time.Millisecond
		if err := quota.BackgroundTooLate(ctx, time.Now(), wait, l.lag.Need(), l.rate); err != nil {
			return nil, err
		}
		if err := quota.Pause(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// fill books the whole shared quota after a vendor's refusal, so that every
// replica waits for the vendor's window to clear (and, while Redis is
// away, this replica alone).
func (l *Limiter) fill(ctx context.Context, after time.Duration) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.store.timeout)
	defer cancel()
	err := l.store.do(rctx, func(ctx context.Context, rdb *redis.Client) error {
		return fillScript.Run(ctx, rdb, []string{l.key}, l.rate.N, (after - l.rate.Per).Milliseconds(),
			l.store.token(), l.keep().Milliseconds()).Err()
	})
	if err != nil {
		l.local.FillUntil(time.Now().Add(after))
	}
}
