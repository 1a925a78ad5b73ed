package main

import (
	"context"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
	"time"
)

// gcPercent is serve's GOGC for a small live heap, when the environment
// sets none. The live heap of a gateway without a large directory is
// small (tens of MiB: caches and sessions) while every request allocates
// its answer, so Go's default of 100 spent about a sixth of the CPU of a
// list query collecting; 400 costs a few tens of MiB of heap.
const gcPercent = 400

// gcHeadroom is the heap growth allowed between collections as the live
// heap grows (the directory's copy: about 2 KiB a record): GOGC 400 over
// 700 MiB live would let the heap reach 3.5 GiB before collecting. Not
// below GOGC 100, though: every collection marks the whole copy, so
// collecting more often than Go's default would spend the cores requests
// need.
const gcHeadroom = 256 << 20

// gcPercentFor is the GOGC that allows gcHeadroom of growth over a live
// heap of live bytes: gcPercent for small heaps, 100 for large ones.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return gcPercent
	}
	return int(min(max(gcHeadroom*100/live, 100), gcPercent))
}

// tuneGC sets GOGC from the live heap, unless the environment sets GOGC
// (the runtime has then applied it): at once, then every few seconds while
// ctx lasts, as the directory's copy grows or shrinks. GOMEMLIMIT, when
// set, still bounds the heap. The returned stop waits for the tuner.
func tuneGC(ctx context.Context, getenv func(string) string) (stop func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	sample := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	set := func() {
		rtmetrics.Read(sample)
		var live uint64
		if sample[0].Value.Kind() == rtmetrics.KindUint64 {
			live = sample[0].Value.Uint64()
		}
		debug.SetGCPercent(gcPercentFor(live))
	}
	set()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				set()
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}
