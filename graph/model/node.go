package model

// Node is the schema's Node interface: any record with a global id. It is
// bound here by hand (gqlgen.yml) rather than generated, because a
// generated interface asks its implementors for marker methods (IsNode,
// GetID), and the type that implements it is the domain's Customer, which
// knows no GraphQL. gqlgen tells the implementors apart by their Go type.
type Node any
