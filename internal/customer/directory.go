package customer

import (
	"context"
	"time"
)

// The directory is custgraph's synced copy of every source's customers
// (internal/directory). It answers what no vendor can: search and order
// across sources, phone lookups, and exact names with no call. The service
// asks it through Directory, declared here by its consumer.

// Directory states, as DirectoryStatus.State reports them.
const (
	// DirectoryOff: the directory is turned off (CUSTGRAPH_DIRECTORY=off)
	// or the source is not enabled.
	DirectoryOff = "OFF"
	// DirectorySyncing: the first full copy of the source is under way.
	DirectorySyncing = "SYNCING"
	// DirectoryReady: the copy is complete and within its freshness bound.
	DirectoryReady = "READY"
	// DirectoryStale: the last successful sync is older than allowed; the
	// copy is not served until a sync succeeds again.
	DirectoryStale = "STALE"
)

// DirectoryStatus is the state of one source's copy.
type DirectoryStatus struct {
	// State is one of DirectoryOff, DirectorySyncing, DirectoryReady,
	// DirectoryStale.
	State string
	// Records is how many records of the source the copy holds.
	Records int
	// LastSyncedAt is when the last sync pass of the source finished; nil
	// before the first.
	LastSyncedAt *time.Time
	// LagSeconds is the age of the oldest data the copy may serve: the
	// time since the last successful pass began. Nil before the first.
	LagSeconds *float64
}

// Serving reports whether the copy may answer questions.
func (s DirectoryStatus) Serving() bool { return s.State == DirectoryReady }

// OrderField is what a customer list is ordered by.
type OrderField string

// Order fields.
const (
	// OrderName is the name in pinyin order (golang.org/x/text/collate for
	// Chinese), not code-point order.
	OrderName OrderField = "NAME"
	// OrderUpdatedAt is the source's own change time.
	OrderUpdatedAt OrderField = "UPDATED_AT"
)

// Order orders a customer list across sources.
type Order struct {
	Field OrderField
	// Desc reverses the order.
	Desc bool
}

// DirectoryQuery asks the directory for one page of a list.
type DirectoryQuery struct {
	// Sources to read; never empty (the service resolves "all").
	Sources []Source
	Filter  Filter
	// Order defaults to NAME ascending.
	Order Order
	// First is how many records, 1 to MaxFirst.
	First int
	// After is the cursor of the record to resume after ("" to start).
	After string
}

// Directory is what the service needs of the synced copy. Every method
// answers from memory, without a vendor call.
type Directory interface {
	// Status reports src's copy.
	Status(src Source) DirectoryStatus
	// List answers one page of q from the copy. A source of q whose copy
	// is not serving is an error of code CodeDirectory.
	List(ctx context.Context, q DirectoryQuery) (*Connection, error)
	// ByPhone lists the records of sources holding the normalized number
	// (see NormalizePhone).
	ByPhone(ctx context.Context, number Phone164, sources []Source) ([]*Customer, error)
	// Record returns src's record key when the copy holds it fresh
	// (within src's bound); ok is false otherwise. A record the copy
	// holds is a *Customer with SyncedAt set.
	Record(src Source, key string) (c *Customer, ok bool)
	// Named returns src's records named exactly name when src's copy is
	// serving; ok is false otherwise.
	Named(src Source, name string) (cs []*Customer, ok bool)
}

// Phone164 is a phone number normalized for comparison (NormalizePhone):
// Number in E.164 ("+8613811388661", "+8657188886666"), or the digits alone
// for a local number written without its area code ("88886666"), which no
// area code can be guessed for; Ext is the extension, kept apart ("801").
type Phone164 struct {
	Number string
	Ext    string
}
