package shared

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
// ARGV: span ms, N, limit ms (longest acceptable wait), member.
// Returns {booked (0|1), wait ms, turn ms}.
var bookScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local span, n, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
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
redis.call('PEXPIRE', KEYS[1], turn - now + span + 1000)
return {1, turn - now, turn}
`)

// Limiter keeps one vendor quota for every replica sharing the Store. While
// Redis is unreachable it falls back to local, a per-replica share of the
// quota (see NewLimiter).
type Limiter struct {
	store *Store
	key   string
	rate  quota.Rate
	span  time.Duration
	local *quota.Window
	// alone is set while this replica keeps its share by itself.
	alone atomic.Bool
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
	return &Limiter{store: store, key: prefix + "quota:" + name, rate: rate,
		span: rate.Per + quota.Slack(rate.Per), local: quota.NewWindow(share, nil)}
}

// Take implements quota.Limiter.
func (l *Limiter) Take(ctx context.Context, maxWait time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	limit := maxWait
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, time.Until(dl))
	}
	member := l.store.token()
	var res []int64
	err := l.store.do(ctx, func(ctx context.Context, rdb *redis.Client) error {
		var err error
		res, err = bookScript.Run(ctx, rdb, []string{l.key}, l.span.Milliseconds(), l.rate.N, max(limit.Milliseconds(), 0), member).Int64Slice()
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Redis unreachable: this replica's share, alone. The others
		// may have spent the whole current window, so the share starts
		// a window later.
		if l.alone.CompareAndSwap(false, true) {
			l.local.Fill()
		}
		return l.local.Take(ctx, maxWait)
	}
	l.alone.Store(false)
	wait := time.Duration(res[1]) * time.Millisecond
	if res[0] == 0 {
		return &quota.ExceededError{Rate: l.rate, Wait: wait}
	}
	return quota.AwaitTurn(ctx, wait, func() {
		// Give the turn back; best effort, on a context of its own.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.store.timeout)
		defer cancel()
		_ = l.store.do(rctx, func(ctx context.Context, rdb *redis.Client) error {
			return rdb.ZRem(ctx, l.key, member).Err()
		})
	})
}
