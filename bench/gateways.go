package main

import (
	"context"
	"fmt"
)

// gateway is one thing the load generator can ask: custgraph, Mesh or the
// bare simulator.
type gateway struct {
	name string
	sim  *simulator // whose counters are this gateway's vendor calls
	proc *proc      // nil for the bare upstream
	// tree: the process is a script whose children serve (Mesh).
	tree bool
	// request builds a scenario's request, or says why the gateway cannot
	// express it.
	request func(sc scenario) (request, string)
	// check, when set, judges the gateway's answer to a scenario against
	// custgraph's (nil when custgraph does not run it) before the rounds:
	// a gateway that answers other rows is not measured.
	check func(sc scenario, body, ref []byte) error
}

// cpuPID is the process whose tree's CPU time is the gateway's: the
// simulator's for the bare upstream.
func (g *gateway) cpuPID() int {
	if g.proc != nil {
		return g.proc.pid()
	}
	return g.sim.proc.pid()
}

// startGateways starts a simulator per gateway (so that each gateway's
// vendor calls are its own, and no gateway's CRM login ends another's
// session), custgraph twice (caches on and off), Mesh and Tailcall when
// they can.
func (b *bench) startGateways(ctx context.Context) (map[string]*gateway, string, error) {
	gws := map[string]*gateway{}
	fmt.Println("starting the simulators and custgraph …")
	for _, g := range []struct {
		name, proc string
		extra      map[string]string
	}{
		{custgraph, "custgraph", nil},
		// Every query does its own work: no cache, no answer shared with
		// an identical query in flight (vendor calls in flight at the
		// same moment are still made once), and no directory, whose
		// copy would answer (c)'s matches without the CRM: the same work
		// as Tailcall's dedupe only (issue 18).
		{custgraphNoCache, "custgraph-nocache", map[string]string{
			"CUSTGRAPH_U8_CACHE_TTL": "0", "CUSTGRAPH_YCM_CACHE_TTL": "0", "CUSTGRAPH_CRM_CACHE_TTL": "0",
			"CUSTGRAPH_SHARE_INFLIGHT": "off", "CUSTGRAPH_DIRECTORY": "off"}},
	} {
		sim, err := b.startSim("sim-for-" + g.proc)
		if err != nil {
			return nil, "", err
		}
		p, url, err := b.startCustgraph(g.proc, sim, g.extra)
		if err != nil {
			return nil, "", err
		}
		gws[g.name] = &gateway{name: g.name, sim: sim, proc: p, request: func(sc scenario) (request, string) {
			return graphQLRequest(url, sc.query), ""
		}}
	}

	// custgraph as a replica on Redis: quotas, credentials, the second
	// cache level and persisted queries shared there.
	if url, p, err := b.startRedis(); err != nil {
		b.redisReason = err.Error()
		fmt.Println("custgraph on Redis left out:", b.redisReason)
	} else {
		b.redis = p
		sim, err := b.startSim("sim-for-custgraph-redis")
		if err != nil {
			return nil, "", err
		}
		cp, gqlURL, err := b.startCustgraph("custgraph-redis", sim, map[string]string{"CUSTGRAPH_REDIS_URL": url})
		if err != nil {
			return nil, "", err
		}
		gws[custgraphRedis] = &gateway{name: custgraphRedis, sim: sim, proc: cp, request: func(sc scenario) (request, string) {
			return graphQLRequest(gqlURL, sc.query), ""
		}}
	}

	sim, err := b.startSim("sim-for-bare")
	if err != nil {
		return nil, "", err
	}
	token, err := sim.u8Token(ctx)
	if err != nil {
		return nil, "", err
	}
	b.note("curl '%s/u8/api/customer/batch_get?…&token=$T&page_index=1&rows_per_page=20'   # the bare upstream, $T fetched once from /u8/system/token", sim.url)
	gws[bare] = &gateway{name: bare, sim: sim, request: func(sc scenario) (request, string) {
		if sc.meshKey != "a" {
			return request{}, "the floor is measured for (a) only"
		}
		return bareListRequest(sim.url, token), ""
	}}

	meshReason := "left out with -mesh off"
	if b.cfg.meshMode == "auto" {
		fmt.Println("starting GraphQL Mesh …")
		meshSim, err := b.startSim("sim-for-mesh")
		if err != nil {
			return nil, "", err
		}
		g, err := b.startMesh(ctx, meshSim)
		switch {
		case err == nil:
			gws[mesh], meshReason = g, ""
		case ctx.Err() != nil:
			return nil, "", ctx.Err()
		default:
			meshReason = err.Error()
		}
	}
	if meshReason != "" {
		fmt.Println("Mesh not available:", meshReason)
	}
	if err := b.startTailcalls(ctx, gws); err != nil {
		return nil, "", err
	}
	return gws, meshReason, nil
}
