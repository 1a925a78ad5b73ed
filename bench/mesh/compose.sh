#!/bin/sh
# Composes the Mesh supergraph: mesh.config.ts (three json-schema sources typed by schemas/*.json)
# -> supergraph.graphql. Works offline: nothing is fetched, neither a schema nor a sample; the
# simulator's address and the tokens stay {env.…} placeholders that the gateway fills in.
#   sh bench/mesh/compose.sh
set -eu
cd "$(dirname "$0")"
[ -x node_modules/.bin/mesh-compose ] || npm ci --no-audit --no-fund
exec ./node_modules/.bin/mesh-compose --config-path mesh.config.ts --output supergraph.graphql
