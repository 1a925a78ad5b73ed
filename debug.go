package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
)

// debugHandler serves Go's profiler. It is its own mux, not
// http.DefaultServeMux, so that nothing else a library registers there is
// exposed with it.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// startDebug serves the profiler on addr (CUSTGRAPH_DEBUG_ADDR) until ctx
// ends. It listens before returning, so a bad address fails the start.
func startDebug(ctx context.Context, addr string, wg *sync.WaitGroup, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Info("profiler serving", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	// defaultTimeouts has no write timeout, which would cut off a
	// profile of ?seconds=30.
	wg.Go(func() {
		if err := serveUntil(ctx, ln, debugHandler(), log, defaultTimeouts); err != nil {
			log.Error("profiler stopped", "err", err)
		}
	})
	return nil
}
