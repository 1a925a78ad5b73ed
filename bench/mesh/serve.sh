#!/bin/sh
# Serves the composed supergraph with Hive Gateway, on HOST:PORT (default 127.0.0.1:4000) at
# /graphql, against the simulators at SIM_URL (default http://127.0.0.1:9090).
#   SIM_URL=http://127.0.0.1:19090 PORT=4000 sh bench/mesh/serve.sh
# The tokens come from the environment (U8_TOKEN, YCM_TOKEN, CRM_TOKEN); any that is missing
# makes this script fetch all three with tokens.mjs first. The gateway never fetches or
# refreshes them itself: restart it (or re-run tokens.mjs) when they expire (YCM: 30 min).
# The last step execs the gateway, so this script's pid is the gateway's (one process, --fork 1).
set -eu
cd "$(dirname "$0")"
: "${SIM_URL:=http://127.0.0.1:9090}"
: "${HOST:=127.0.0.1}"
: "${PORT:=4000}"
export SIM_URL
if [ -z "${U8_TOKEN:-}" ] || [ -z "${YCM_TOKEN:-}" ] || [ -z "${CRM_TOKEN:-}" ]; then
  eval "$(node tokens.mjs)"
fi
export U8_TOKEN YCM_TOKEN CRM_TOKEN
[ -f supergraph.graphql ] || sh compose.sh
# No usage reporting, tracing, schema registry or managed federation: these are on only when
# one of the variables below (or the matching flag) is set, so make sure none is inherited.
unset HIVE_REGISTRY_TOKEN HIVE_USAGE_TARGET HIVE_TARGET HIVE_ACCESS_TOKEN HIVE_USAGE_ACCESS_TOKEN \
  HIVE_TRACE_ACCESS_TOKEN HIVE_TRACE_ENDPOINT HIVE_CDN_ENDPOINT HIVE_CDN_KEY \
  APOLLO_KEY APOLLO_GRAPH_REF APOLLO_SCHEMA_CONFIG_DELIVERY_ENDPOINT \
  OPENTELEMETRY OPENTELEMETRY_EXPORTER_TYPE OTEL_EXPORTER_OTLP_ENDPOINT CONFIG_PATH FORK || true
export NODE_ENV="${NODE_ENV:-production}"
exec ./node_modules/.bin/hive-gateway supergraph supergraph.graphql --config-path gateway.config.mjs \
  --host "$HOST" --port "$PORT" --fork 1
