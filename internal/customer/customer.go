// Package customer is the heart of custgraph: a customer as each upstream
// system records it, the sources themselves, global IDs, the one error type
// of the project, and the small interfaces the vendor clients satisfy.
//
// Nothing here knows about HTTP, JSON wire formats or GraphQL. A reader should
// learn what the product does from this package alone.
package customer

import (
	"strings"
	"time"
)

// Source is an upstream system that holds customer records.
type Source string

// The three upstreams.
const (
	U8  Source = "U8"  // Yonyou U8 OpenAPI (ERP)
	YCM Source = "YCM" // Yeastar Central Management open API
	CRM Source = "CRM" // 励销云 / ikcrm CRM open API
)

// AllSources lists every source in a fixed order (the order used for fan-out
// results and paging).
var AllSources = []Source{U8, YCM, CRM}

// ParseSource parses a source name case-insensitively ("u8", "YCM", …).
func ParseSource(s string) (Source, error) {
	switch strings.ToUpper(s) {
	case "U8":
		return U8, nil
	case "YCM":
		return YCM, nil
	case "CRM":
		return CRM, nil
	}
	return "", BadInputf("unknown source %q (want U8, YCM or CRM)", s)
}

// Ordinal numbers s as AllSources orders the sources (0 to 2); any other
// source numbers 3, for per-source arrays of four.
func (s Source) Ordinal() int {
	for i, a := range AllSources {
		if a == s {
			return i
		}
	}
	return len(AllSources)
}

// Valid reports whether s is one of the three sources.
func (s Source) Valid() bool { return s == U8 || s == YCM || s == CRM }

// Prefix is the lower-case form used in global IDs ("u8", "ycm", "crm").
func (s Source) Prefix() string { return strings.ToLower(string(s)) }

// Customer is one record of one source: the fields every source can fill,
// plus exactly one of U8, YCM or CRM with that source's own fields.
//
// Optional values are pointers so that "the source did not say" (nil) is
// distinct from an empty value; the vendors leave fields out freely.
type Customer struct {
	Source Source
	// SourceID is the record's key in its source: U8 code (leading zeros
	// kept), YCM customerId, CRM id.
	SourceID    string
	Name        string
	ShortName   *string
	ContactName *string
	Email       *string
	Phones      []Phone
	Address     *PostalAddress
	Remark      *string
	CreatedAt   *time.Time
	UpdatedAt   *time.Time
	// SyncedAt is set on the directory's copies: when the sync read the
	// record from its source. Nil on records read live.
	SyncedAt *time.Time

	U8  *U8Customer
	YCM *YCMCustomer
	CRM *CRMCustomer
}

// ID is the record's global ID, e.g. "u8:00000001".
func (c *Customer) ID() string { return GlobalID{Source: c.Source, Key: c.SourceID}.String() }

// IsEntity is the one GraphQL marker the domain carries: gqlgen's
// federation runtime holds the records that _entities resolves in a
// []fedruntime.Entity, whose one method this is, and the alternative (a
// copy of Customer in graph, converted in every resolver that returns
// records) would cost an allocation per record for a method with no
// body. It imports nothing; everything else GraphQL knows of the domain is
// bound in gqlgen.yml.
func (*Customer) IsEntity() {}

// PhoneKind types a phone number.
type PhoneKind string

// Phone kinds.
const (
	PhoneMobile PhoneKind = "MOBILE"
	PhoneWork   PhoneKind = "WORK"
	PhoneHome   PhoneKind = "HOME"
	PhoneFax    PhoneKind = "FAX"
	PhoneOther  PhoneKind = "OTHER"
)

// Phone is one typed phone number.
type Phone struct {
	Kind   PhoneKind
	Number string
}

// PostalAddress is an address in the common shape.
type PostalAddress struct {
	// Formatted is the one-line address as the source writes it.
	Formatted  *string
	Street     *string
	City       *string
	Region     *string // state or province
	Country    *string
	PostalCode *string
	Latitude   *float64
	Longitude  *float64
}

// U8Customer holds the fields of a U8 customer (customer/get, batch_get).
type U8Customer struct {
	Code          string
	AbbrName      *string
	SortCode      *string
	DomainCode    *string
	Industry      *string
	Address       *string
	BankOpen      *string
	BankAccNumber *string
	Contact       *string
	Phone         *string
	Fax           *string
	// Mobile is always a string, also where U8 sends a JSON number.
	Mobile *string
	// DeliverSite is upstream's devliver_site (sic).
	DeliverSite *string
	ModifiedAt  *time.Time
	// SeedDate (发展日期) and EndDate (停用日期) are calendar dates, held as
	// midnight Asia/Shanghai.
	SeedDate           *time.Time
	EndDate            *time.Time
	Memo               *string
	CurrencyName       *string
	Domestic           *bool
	Overseas           *bool
	ServiceAttribute   *bool
	ManagementTypeCode *string
	ManagementTypeName *string
	SpecOperatorName   *string
	Timestamp          *string
	// SelfDefine holds self_define1..16 at indexes 0..15; "" where U8 left
	// the field out.
	SelfDefine [16]string
}

// SelfDefinedCount is how many self-defined fields U8 has.
const SelfDefinedCount = 16

// SelfDefineValue returns self_define<index> (1 to 16), nil when empty. Any
// other index is a BadInput error.
func (u *U8Customer) SelfDefineValue(index int) (*string, error) {
	if index < 1 || index > SelfDefinedCount {
		return nil, BadInputf("selfDefine index must be 1 to %d, got %d", SelfDefinedCount, index)
	}
	if v := u.SelfDefine[index-1]; v != "" {
		return &v, nil
	}
	return nil, nil
}

// U8SelfDefinedField is one self-defined field that holds a value.
type U8SelfDefinedField struct {
	Index int
	Label *string
	Value string
}

// SelfDefinedFields lists the self-defined fields that hold a value, in
// index order, labelled from labels (index → business name; may be nil).
func (u *U8Customer) SelfDefinedFields(labels map[int]string) []*U8SelfDefinedField {
	out := []*U8SelfDefinedField{}
	for i, v := range u.SelfDefine {
		if v == "" {
			continue
		}
		f := &U8SelfDefinedField{Index: i + 1, Value: v}
		if l, ok := labels[i+1]; ok {
			f.Label = &l
		}
		out = append(out, f)
	}
	return out
}

// YCMCustomer holds the fields of a YCM customer.
type YCMCustomer struct {
	CustomerID     string
	FirstName      *string
	LastName       *string
	Company        *string
	Email          *string
	BusinessNumber *string
	MobileNumber   *string
	HomeNumber     *string
	FaxNumber      *string
	ZipCode        *string
	Street         *string
	City           *string
	State          *string
	Country        *string
	Remark         *string
}

// CRMCustomer holds the fields of a CRM customer.
type CRMCustomer struct {
	ID                 string
	OwnerID            *string // user_id
	OwnerName          *string // user_name
	Status             *CRMOption
	Category           *CRMOption
	ApproveStatus      *string
	ApproveStatusLabel *string
	Labels             []string
	Address            *CRMAddress
	// Contacts as the record call returned them (matching_name and detail
	// embed them; their addresses may be partial there).
	Contacts         []CRMContact
	WxExternalUserID *string
	CreatedAt        *time.Time
	UpdatedAt        *time.Time
}

// CRMOption is a CRM option value: a numeric id as a string and its label
// (status / status_mapped, category / category_mapped).
type CRMOption struct {
	ID    string
	Label *string
}

// CRMAddress is the CRM's address object, on customers and contacts.
type CRMAddress struct {
	Tel           *string
	Phone         *string
	Email         *string
	QQ            *string
	Fax           *string
	Wechat        *string
	Wangwang      *string
	Zip           *string
	URL           *string
	DetailAddress *string
	RegionInfo    *string
	Latitude      *float64
	Longitude     *float64
	CountryID     *int
	ProvinceID    *int
	CityID        *int
	DistrictID    *int
}

// CRMContact is a contact person of a CRM customer.
type CRMContact struct {
	ID      string
	Name    string
	Address *CRMAddress
}

// Filter narrows a customer list. Zero values mean "no condition".
type Filter struct {
	// Name is a keyword the customer name must contain.
	Name string
	// CodeFrom and CodeTo bound the U8 customer code, inclusive. Other
	// sources ignore them.
	CodeFrom, CodeTo string
	// UpdatedSince keeps records changed at or after this instant, where the
	// source can tell.
	UpdatedSince *time.Time
	// Search is text anywhere in the name, short name, contact names, phone
	// digits or emails, compared after NormalizeText. Only the directory
	// answers it.
	Search string
}

// IsZero reports whether f has no condition.
func (f Filter) IsZero() bool {
	return f.Name == "" && f.CodeFrom == "" && f.CodeTo == "" && f.UpdatedSince == nil && f.Search == ""
}

// Matches reports whether c satisfies f. Clients push what they can down to
// their vendor; the service applies Matches afterwards, which is idempotent.
func (f Filter) Matches(c *Customer) bool {
	if f.Name != "" && !strings.Contains(c.Name, f.Name) {
		return false
	}
	if c.Source == U8 {
		if f.CodeFrom != "" && c.SourceID < f.CodeFrom {
			return false
		}
		if f.CodeTo != "" && c.SourceID > f.CodeTo {
			return false
		}
	}
	if f.UpdatedSince != nil && c.UpdatedAt != nil && c.UpdatedAt.Before(*f.UpdatedSince) {
		return false
	}
	return true
}

// ListQuery asks a source for one page of its customer list.
type ListQuery struct {
	// Page is 1-based.
	Page int
	// PageSize is capped by each client at what its vendor accepts.
	PageSize int
	// Filter is pushed down to the vendor as far as it can apply it.
	Filter Filter
	// TimestampFrom asks U8 for the records whose timestamp (U8's change
	// marker, growing with every change) is at least this value
	// (timestamp_begin): the directory's incremental sync. Other sources
	// ignore it.
	TimestampFrom string
	// NewestFirst asks for the most recently changed records first (CRM
	// sort=updated_at&order=desc): the directory's incremental sync. Other
	// sources ignore it.
	NewestFirst bool
}

// Page is one page of a source's customer list.
type Page struct {
	Customers []*Customer
	// Page and PageSize are what the vendor actually served.
	Page     int
	PageSize int
	// Total is the vendor's total for the (pushed-down) query.
	Total int
	// Estimated: the vendor gave no total, and Total only says whether
	// more pages may follow.
	Estimated bool
}

// HasMore reports whether pages follow this one.
func (p *Page) HasMore() bool { return p.Page*p.PageSize < p.Total }

// Shanghai is the time zone of every upstream's local times. It is fixed at
// UTC+8 (China has no daylight saving time), so no tzdata is needed.
var Shanghai = time.FixedZone("Asia/Shanghai", 8*60*60)

// Connection is one page of a customer list across sources, in the shape
// of the GraphQL connection it is served as.
type Connection struct {
	Edges    []Edge
	PageInfo PageInfo
	// TotalCount is the sum of the sources' totals; nil when a source
	// cannot tell.
	TotalCount *int
}

// Nodes lists the page's customers in order.
func (c *Connection) Nodes() []*Customer {
	nodes := make([]*Customer, len(c.Edges))
	for i, e := range c.Edges {
		nodes[i] = e.Node
	}
	return nodes
}

// Edge is one customer of a page with the cursor that resumes after it.
type Edge struct {
	Node *Customer
	// Where the walk stands after Node: base holds every source's
	// position as this source's records began (shared by its edges), next
	// and done this source's own. The cursor is encoded only when a client
	// asks for it: most select nodes alone, and encoding every edge's
	// cursor cost more than the rest of a page's mapping.
	base *cursor
	src  Source
	next int
	done bool
	// cursor, when set, encodes the cursor of an edge the directory
	// served.
	cursor func() string
}

// EdgeWith is an edge whose cursor is encoded by cursor, when asked for.
func EdgeWith(node *Customer, cursor func() string) Edge {
	return Edge{Node: node, cursor: cursor}
}

// Cursor is the opaque position right after this edge's record.
func (e Edge) Cursor() string {
	if e.cursor != nil {
		return e.cursor()
	}
	if e.base == nil {
		return ""
	}
	c := e.base.clone()
	c.O[e.src], c.D[e.src] = e.next, e.done
	return c.encode()
}

// PageInfo tells whether more pages follow.
type PageInfo struct {
	HasNextPage bool
	// endCursor encodes the end cursor when a client asks for it: most
	// select nodes alone, and encoding it (JSON, base64) on every page
	// cost 3 % of the CPU of a 20-row list query (issue 18).
	endCursor func() string
}

// EndCursor is the opaque position after the page's last record, nil
// when there is none.
func (p PageInfo) EndCursor() *string {
	if p.endCursor == nil {
		return nil
	}
	s := p.endCursor()
	return &s
}

// SetEndCursor makes encode the page's end cursor, called when asked for.
func (p *PageInfo) SetEndCursor(encode func() string) { p.endCursor = encode }

// SourceStatus is the state of one upstream as this gateway sees it.
type SourceStatus struct {
	Source Source
	// Enabled is false when the source is not configured.
	Enabled bool
	// Healthy is false while the circuit is open or the last call failed.
	Healthy bool
	// Circuit is CLOSED, OPEN or HALF_OPEN.
	Circuit string
	// LastError is the last failure's client-safe message.
	LastError *string
	// Directory is the directory's copy of the source; nil when the
	// directory is off.
	Directory *DirectoryStatus
}
