package customer

import "context"

// The interfaces below are what the service needs of each vendor client.
// They are declared here, by their consumer; each provider package asserts
// that its Client satisfies its source's interface.

// Getter fetches one record by its source key. A missing record is an
// error matching ErrNotFound.
type Getter interface {
	Get(ctx context.Context, key string) (*Customer, error)
}

// Lister pages through a source's customers.
type Lister interface {
	List(ctx context.Context, q ListQuery) (*Page, error)
}

// NameFinder finds the records whose name equals name exactly. No match is
// an empty slice, not an error.
type NameFinder interface {
	FindByName(ctx context.Context, name string) ([]*Customer, error)
}

// ContactLister lists a CRM customer's contacts with their full addresses.
type ContactLister interface {
	Contacts(ctx context.Context, customerID string) ([]CRMContact, error)
}

// U8Source is what the U8 client provides: U8 can filter by code range,
// name keyword and modify date, so exact names are found by keyword.
type U8Source interface {
	Getter
	Lister
	NameFinder
}

// YCMSource is what the YCM client provides. YCM has no search: names are
// found through an index the service builds from list pages.
type YCMSource interface {
	Getter
	Lister
}

// CRMSource is what the CRM client provides.
type CRMSource interface {
	Getter
	Lister
	NameFinder
	ContactLister
}
