# custgraph — the two commands a newcomer needs are `make run` and `make test`.
GO       ?= go
BIN      ?= custgraph
PKGS     ?= ./...
# -race needs cgo; the machine's gcc provides it.
TESTFLAGS ?= -race -count=1 -timeout 8m

.PHONY: run test go-test e2e ide bench eval test-deps fmt-check vet staticcheck generate-check build sim generate lint clean help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: ## demo mode: the gateway on the built-in simulators, IDE at http://127.0.0.1:8080/
	$(GO) run . serve

test: fmt-check vet staticcheck generate-check go-test e2e ## every test: gofmt, go vet, staticcheck, generated code up to date, go test -race, then the Node clients and the browser

go-test: test-deps ## the Go tests (-race), Redis tests on a private redis-server, and bench's
	CUSTGRAPH_REQUIRE_REDIS=1 $(GO) test $(TESTFLAGS) $(PKGS)
	cd bench && $(GO) test $(TESTFLAGS) ./...

e2e: ## real clients from npm (GraphQL-over-HTTP audit, Apollo Federation and Client, graphql-request) and the IDE in Chromium
	sh e2e/run.sh

bench: eval ## custgraph vs GraphQL Mesh vs Tailcall vs the bare upstream, the directory and live changes, in one run: writes docs/benchmarks.md and .png (after make eval)
	@sh scripts/ensure-redis || echo "make bench: without redis-server the 'custgraph on Redis' rows are left out"
	cd bench && $(GO) run .

eval: ## identity resolution: precision/recall of matches by threshold at two seeds and two sizes, look-alikes merged, the cost of links at 100,000 records a source: writes docs/identity.md and docs/identity-pr.png
	cd bench && $(GO) run ./eval

ide: ## rebuild the embedded GraphiQL (internal/ide/dist) from the pinned npm packages in ide/
	cd ide && npm ci --no-audit --no-fund && npm run build

test-deps: ## install what the tests need beyond Go (Debian's redis-server, as root)
	@sh scripts/ensure-redis

fmt-check: ## fail when a Go file is not gofmt-formatted
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path '*/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet, of the gateway and of bench (a module of its own, so ./... stops at it)
	$(GO) vet $(PKGS)
	cd bench && $(GO) vet ./...

staticcheck: ## staticcheck (pinned, run with go run) over both modules; see scripts/lint
	@GO=$(GO) sh scripts/lint

generate-check: ## fail when make generate would change the committed GraphQL code
	@GO=$(GO) sh scripts/check-generate

lint: fmt-check vet staticcheck ## gofmt, go vet and staticcheck

build: ## build ./custgraph
	$(GO) build -o $(BIN) .

sim: ## serve only the simulators on 127.0.0.1:9090
	$(GO) run . sim

generate: ## regenerate the GraphQL code from graph/*.graphqls
	$(GO) run ./internal/generate

clean: ## remove build output
	rm -f $(BIN)
