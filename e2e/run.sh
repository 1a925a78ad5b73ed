#!/bin/sh
# e2e/run.sh: custgraph proven with real clients from npm (make e2e).
#
# Installs the pinned packages of e2e/package-lock.json (npm ci), builds
# the gateway, starts on free loopback ports:
#
#   - custgraph in demo mode (built-in simulators, CRM quota on, IDE on,
#     a sync pass every second), for the IDE test: CUSTGRAPH_URL (origin,
#     no trailing /) and CUSTGRAPH_DEMO_SIM_URL (its simulators' origin)
#   - `custgraph sim` with the CRM quota off: CUSTGRAPH_SIM_URL (origin;
#     /_sim/stats and /_sim/reset count the vendor calls)
#   - custgraph on those simulators, CRM pacing off and introspection on,
#     for the GraphQL-over-HTTP audit and the clients:
#                                           CUSTGRAPH_GRAPHQL_URL (its /graphql)
#   - custgraph on the same simulators as production starts it
#     (CUSTGRAPH_DEMO=off: introspection off) behind an API key, CRM pacing
#     off, for Apollo Federation: CUSTGRAPH_FEDERATION_URL (its /graphql)
#     and CUSTGRAPH_FEDERATION_KEY (the key, made afresh for each run)
#   - for the subscriptions: a `custgraph sim` of their own,
#     CUSTGRAPH_SUBS_SIM_URL (the tests change records there, and the
#     gateway syncs it every second: the federation tests' counters of the
#     shared one stay theirs), and custgraph on it as production starts it,
#     behind an API key, one browser origin allowed, the directory synced
#     every CUSTGRAPH_SUBS_SYNC_INTERVAL: CUSTGRAPH_SUBS_URL (its /graphql),
#     CUSTGRAPH_SUBS_KEY, CUSTGRAPH_SUBS_ORIGIN
#
# then runs every e2e/*.test.mjs (or the files given: sh e2e/run.sh
# clients.test.mjs) with Node's test runner, one file at a time
# (federation reads the simulators' counters), with those variables and
# CHROMIUM (/usr/bin/chromium) exported, and stops the servers however it
# ends. The IDE test needs Debian's chromium: installed here as root.
set -eu

started=$(date +%s)
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/custgraph-e2e.XXXXXX")
pids=""

cleanup() {
	status=$?
	trap - EXIT INT TERM
	for pid in $pids; do kill "$pid" 2>/dev/null || true; done
	for pid in $pids; do wait "$pid" 2>/dev/null || true; done
	if [ "$status" -ne 0 ]; then
		for log in "$tmp"/*.err; do
			[ -s "$log" ] || continue
			echo "e2e: last lines of $(basename "$log"):" >&2
			tail -n 15 "$log" >&2
		done
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo "e2e: $*"; }
die() {
	echo "e2e: $*" >&2
	exit 1
}

# Chromium for the IDE test (Debian's package: no browser download), and
# CJK fonts so that the customers' Chinese names render in the screenshot.
CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ] || [ ! -d /usr/share/fonts/opentype/noto ]; then
	if [ "$(id -u)" -ne 0 ]; then
		die "the IDE test needs Chromium at $CHROMIUM and CJK fonts; as root run: apt-get install -y --no-install-recommends chromium fonts-noto-cjk (then run this again)"
	fi
	say "installing Debian's chromium and fonts-noto-cjk for the IDE test"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk >"$tmp/apt.log" 2>&1; then
		{ apt-get update -q && apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk; } >>"$tmp/apt.log" 2>&1 ||
			{ tail -n 20 "$tmp/apt.log" >&2; die "could not install chromium with apt-get"; }
	fi
	[ -x "$CHROMIUM" ] || die "apt-get installed chromium, but $CHROMIUM is missing"
fi

say "npm ci (pinned packages of e2e/package-lock.json)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >"$tmp/npm.log" 2>&1 ||
	{ cat "$tmp/npm.log" >&2; die "npm ci failed"; }

say "building the gateway"
(cd "$root" && go build -o "$tmp/custgraph" .)

# A clean environment: no CUSTGRAPH_* of the caller's shell (an API key,
# an upstream, Redis…) changes the servers started here, and no APOLLO_*
# makes Apollo's packages report anywhere: everything stays on loopback
# (@apollo/gateway's own telemetry, cloud metadata probes included, is off).
for var in $(env | sed -n 's/^\(\(CUSTGRAPH\|APOLLO\)_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$var"
done
export APOLLO_TELEMETRY_DISABLED=true

# start NAME COMMAND...: runs COMMAND in the background, its stdout and
# stderr in $tmp/NAME.out and .err.
start() {
	name=$1
	shift
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids="$pids $!"
	eval "pid_$name=\$!"
}

# origin NAME PATTERN: waits for the sed PATTERN (one group: the origin)
# in NAME's stdout, where the server prints its address, and prints it.
origin() {
	i=0
	while [ $i -lt 300 ]; do
		o=$(sed -n "s|$2|\1|p" "$tmp/$1.out" | head -n 1)
		if [ -n "$o" ]; then
			echo "$o"
			return 0
		fi
		eval "pid=\$pid_$1"
		state=$(sed -n 's/^.*) \(.\) .*$/\1/p' "/proc/$pid/stat" 2>/dev/null || true)
		if [ -z "$state" ] || [ "$state" = Z ]; then
			die "$1 exited: $(tail -n 5 "$tmp/$1.err")"
		fi
		sleep 0.1
		i=$((i + 1))
	done
	die "$1 printed no address in 30 s"
}

# ready URL: waits for URL to answer 200.
ready() {
	node -e '
		const url = process.argv[1], end = Date.now() + 30000;
		(async () => {
			for (;;) {
				try { if ((await fetch(url)).ok) return; } catch {}
				if (Date.now() > end) { console.error(`e2e: ${url} not ready in 30 s`); process.exit(1); }
				await new Promise((r) => setTimeout(r, 100));
			}
		})();' "$1"
}

start sim "$tmp/custgraph" sim -addr 127.0.0.1:0 -crm-rate-limit 0
CUSTGRAPH_SIM_URL=$(origin sim '^U8: *\(http://[^/]*\)/u8$')
ready "$CUSTGRAPH_SIM_URL/_sim/stats"

# on_sims NAME SETTING...: starts `custgraph serve` as production does
# (CUSTGRAPH_DEMO=off) on the simulators, with their demo credentials, CRM
# pacing off, a directory data dir of its own and the given CUSTGRAPH_*
# settings, waits until it is ready
# and sets $served to its origin. (Not in a $(…) subshell: start must
# record the server's pid here, for cleanup.)
on_sims() {
	name=$1
	shift
	start "$name" env CUSTGRAPH_ADDR=127.0.0.1:0 CUSTGRAPH_DEMO=off CUSTGRAPH_CRM_RATE_LIMIT=off \
		CUSTGRAPH_U8_BASE_URL="$CUSTGRAPH_SIM_URL/u8" CUSTGRAPH_U8_FROM_ACCOUNT=demo CUSTGRAPH_U8_TO_ACCOUNT=demo \
		CUSTGRAPH_U8_APP_KEY=demo-app-key CUSTGRAPH_U8_APP_SECRET=demo-app-secret \
		CUSTGRAPH_YCM_BASE_URL="$CUSTGRAPH_SIM_URL/ycm" CUSTGRAPH_YCM_CLIENT_ID=demo-client CUSTGRAPH_YCM_CLIENT_SECRET=demo-secret \
		CUSTGRAPH_CRM_BASE_URL="$CUSTGRAPH_SIM_URL/crm" CUSTGRAPH_CRM_LOGIN=13800000000 CUSTGRAPH_CRM_PASSWORD=demo-password \
		CUSTGRAPH_DATA_DIR="$tmp/data-$name" \
		"$@" "$tmp/custgraph" serve
	served=$(origin "$name" '^custgraph: GraphQL IDE at \(http://[^/]*\)/$')
	ready "$served/healthz"
}

on_sims gateway CUSTGRAPH_INTROSPECTION=on
CUSTGRAPH_GRAPHQL_URL=$served/graphql
# The subgraph a federation router composes: production's defaults
# (introspection off), the router authenticated by an API key.
CUSTGRAPH_FEDERATION_KEY=e2e-router-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
# The directory off: the federation tests count the live path's by-key
# batching, which a READY directory would answer with no call at all
# (graph's directory tests cover that).
on_sims production CUSTGRAPH_API_KEYS="$CUSTGRAPH_FEDERATION_KEY" CUSTGRAPH_DIRECTORY=off
CUSTGRAPH_FEDERATION_URL=$served/graphql

# Subscriptions (issue 17): their own simulator and gateway (see above).
# The base URLs given after on_sims's own override them (env: the last wins).
start subsim "$tmp/custgraph" sim -addr 127.0.0.1:0 -crm-rate-limit 0
CUSTGRAPH_SUBS_SIM_URL=$(origin subsim '^U8: *\(http://[^/]*\)/u8$')
ready "$CUSTGRAPH_SUBS_SIM_URL/_sim/stats"
CUSTGRAPH_SUBS_KEY=e2e-subs-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
CUSTGRAPH_SUBS_ORIGIN=http://app.e2e.invalid
CUSTGRAPH_SUBS_SYNC_INTERVAL=1s
on_sims subs CUSTGRAPH_U8_BASE_URL="$CUSTGRAPH_SUBS_SIM_URL/u8" CUSTGRAPH_YCM_BASE_URL="$CUSTGRAPH_SUBS_SIM_URL/ycm" \
	CUSTGRAPH_CRM_BASE_URL="$CUSTGRAPH_SUBS_SIM_URL/crm" CUSTGRAPH_SYNC_INTERVAL="$CUSTGRAPH_SUBS_SYNC_INTERVAL" \
	CUSTGRAPH_API_KEYS="$CUSTGRAPH_SUBS_KEY" CUSTGRAPH_CORS_ORIGINS="$CUSTGRAPH_SUBS_ORIGIN"
CUSTGRAPH_SUBS_URL=$served/graphql
export CUSTGRAPH_SUBS_SIM_URL CUSTGRAPH_SUBS_KEY CUSTGRAPH_SUBS_ORIGIN CUSTGRAPH_SUBS_SYNC_INTERVAL CUSTGRAPH_SUBS_URL
say "subscriptions: gateway $CUSTGRAPH_SUBS_URL (synced every $CUSTGRAPH_SUBS_SYNC_INTERVAL) on the simulators $CUSTGRAPH_SUBS_SIM_URL"

start demo env CUSTGRAPH_ADDR=127.0.0.1:0 CUSTGRAPH_DEMO=on CUSTGRAPH_SYNC_INTERVAL=1s "$tmp/custgraph" serve
CUSTGRAPH_URL=$(origin demo '^custgraph: GraphQL IDE at \(http://[^/]*\)/$')
ready "$CUSTGRAPH_URL/healthz"
# Its in-process simulators, which it logs (JSON) before it listens.
CUSTGRAPH_DEMO_SIM_URL=$(sed -n 's|^.*"simulators":"\(http://[^"]*\)".*$|\1|p' "$tmp/demo.err" | head -n 1)
[ -n "$CUSTGRAPH_DEMO_SIM_URL" ] || die "the demo gateway logged no simulators"

export CUSTGRAPH_URL CUSTGRAPH_DEMO_SIM_URL CUSTGRAPH_GRAPHQL_URL CUSTGRAPH_FEDERATION_URL CUSTGRAPH_FEDERATION_KEY CUSTGRAPH_SIM_URL CHROMIUM
say "demo gateway $CUSTGRAPH_URL; gateways $CUSTGRAPH_GRAPHQL_URL and (production) $CUSTGRAPH_FEDERATION_URL on the simulators $CUSTGRAPH_SIM_URL"

cd "$here"
if [ $# -eq 0 ]; then
	set -- ./*.test.mjs
	[ -e "$1" ] || die "no e2e/*.test.mjs"
fi
say "node --test $*"
node --test --test-concurrency=1 "$@"
say "passed in $(($(date +%s) - started)) s"
