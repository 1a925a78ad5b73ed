//go:build tools

// Package tools pins the code generators custgraph uses, so that
// `go run github.com/99designs/gqlgen` runs the version in go.mod.
package tools

import (
	_ "github.com/99designs/gqlgen"
)
