package crm

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"custgraph/internal/sim/fixture"
)

// user is a member of the simulated enterprise: an owner or creator of
// customers.
type user struct {
	id                       int
	name, email, phone, dept string
	job                      string
	createdAt                string
}

// owners are the sales reps customers are assigned to.
var owners = []user{
	{254, "周星驰", "zhouxc@demo-corp.cn", "13911110254", "华东销售部", "销售经理", "2014-03-02 09:12"},
	{261, "李晓燕", "lixy@demo-corp.cn", "13911110261", "华东销售部", "销售代表", "2015-07-18 10:40"},
	{268, "陈志强", "chenzq@demo-corp.cn", "13911110268", "华南销售部", "销售代表", "2016-01-11 14:05"},
	{273, "刘海峰", "liuhf@demo-corp.cn", "13911110273", "华北销售部", "大客户经理", "2016-09-26 11:30"},
	{286, "张丽华", "zhanglh@demo-corp.cn", "13911110286", "西南销售部", "销售代表", "2018-04-09 16:22"},
}

// option is a value of a configurable field: an id and its label.
type option struct{ id, label string }

var (
	statuses   = []option{{"3462", "待联系"}, {"3463", "初访"}, {"3464", "意向"}, {"3465", "成交"}, {"3466", "搁置"}}
	categories = []option{{"3468", "VIP客户"}, {"3469", "普通客户"}, {"3470", "代理商"}, {"3471", "合作伙伴"}}
	origins    = []option{{"3474", "电话营销"}, {"3475", "展会"}, {"3476", "客户介绍"}, {"3477", "网络推广"}}
	labelNames = []string{"重点客户", "老客户", "需回访", "大客户", "渠道客户"}
	staffSizes = []string{"", "1-19人", "20-99人", "100-499人", "500-999人", "1000人以上"}
)

// provinceIDs numbers provinces by their short names, in the usual GB
// order (北京 1 … 江西 14 …, as in the vendor's samples).
var provinceIDs = map[string]int{
	"北京": 1, "天津": 2, "河北": 3, "山西": 4, "内蒙古": 5, "辽宁": 6, "吉林": 7, "黑龙江": 8,
	"上海": 9, "江苏": 10, "浙江": 11, "安徽": 12, "福建": 13, "江西": 14, "山东": 15, "河南": 16,
	"湖北": 17, "湖南": 18, "广东": 19, "广西": 20, "海南": 21, "重庆": 22, "四川": 23, "贵州": 24,
	"云南": 25, "西藏": 26, "陕西": 27, "甘肃": 28, "青海": 29, "宁夏": 30, "新疆": 31,
}

// countryChina is the vendor's country_id of 中国.
const countryChina = 4

// record is one customer. A generated one keeps every choice the
// simulator made about its fixture company (co) and renders each endpoint's
// shape from them; one loaded from a file or written through /_sim/records
// keeps its list item as given (wire) and renders from that. Either way a
// record is never changed once stored: a change stores a new one.
type record struct {
	id int
	// name, createdAt and updatedAt ("YYYY-MM-DD HH:mm") are what the list
	// filters and sorts on, and matching_name looks up.
	name, createdAt, updatedAt string
	// wire is the list item of a record not generated; nil otherwise.
	wire map[string]any

	co        *fixture.Company
	owner     user
	creator   user
	status    option // zero: not set
	category  option
	origin    option
	industry  option
	approved  bool
	hidden    bool // need_hidden_dispose
	labels    []string
	wxID      *string
	mobile    *string // the customer's own mobile, rarely set
	geo       bool    // lat/lng known
	staffSize string
	idleDays  int
	addrID    int
	province  string // short name: 上海, 广东
	contacts  []contactRecord
}

type contactRecord struct {
	p      fixture.Person
	id     int
	addrID int
	tel    string // "" when the person has no extension
}

// buildRecords turns companies into records. Ids grow with gaps from 831,
// as a live CRM's would after deletions; every choice is drawn from the
// company's own generator, so it depends on nothing else.
func buildRecords(cos []*fixture.Company) []*record {
	out := make([]*record, 0, len(cos))
	id, contactID, addrID := 830, 672, 2674
	for _, c := range cos {
		r := c.NewRand(source)
		id += 1 + r.IntN(4)
		addrID += 1 + r.IntN(3)
		rec := &record{
			co: c, id: id, addrID: addrID, name: c.Name,
			createdAt: c.Created.Format(entityTime), updatedAt: c.Modified.Format(entityTime),
			owner:     owners[r.IntN(len(owners))],
			creator:   owners[r.IntN(len(owners))],
			approved:  r.IntN(8) != 0,
			hidden:    r.IntN(8) == 0,
			geo:       r.IntN(6) != 0,
			staffSize: staffSizes[r.IntN(len(staffSizes))],
			idleDays:  1 + r.IntN(90),
			province:  strings.TrimSuffix(strings.TrimSuffix(c.Province, "省"), "市"),
			labels:    []string{},
		}
		rec.status = pickOption(r, statuses, 6)
		rec.category = pickOption(r, categories, 5)
		rec.origin = pickOption(r, origins, 3)
		rec.industry = option{strconv.Itoa(3500 + int(hash(c.Industry)%400)), c.Industry}
		for _, l := range labelNames {
			if r.IntN(6) == 0 {
				rec.labels = append(rec.labels, l)
			}
		}
		if r.IntN(10) == 0 {
			v := fmt.Sprintf("wm%016x%014x", r.Uint64(), r.Uint64()>>8)
			rec.wxID = &v
		}
		for i, p := range c.Contacts {
			contactID += 1 + r.IntN(3)
			addrID++
			cr := contactRecord{p: p, id: contactID, addrID: addrID}
			if p.Tel != "" && c.Tel != "" {
				cr.tel = c.Tel + "-" + p.Tel
			}
			if i == 0 && r.IntN(4) == 0 {
				rec.mobile = &c.Contacts[0].Mobile
			}
			rec.contacts = append(rec.contacts, cr)
		}
		out = append(out, rec)
	}
	return out
}

// pickOption leaves the field empty one time in oneIn.
func pickOption(r *rand.Rand, opts []option, oneIn int) option {
	if r.IntN(oneIn) == 0 {
		return option{}
	}
	return opts[r.IntN(len(opts))]
}

func hash(s string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s))
	return h.Sum32()
}

// Time formats: entities have minutes and no zone; the nested Rails
// address objects have ISO-8601 with milliseconds and +08:00.
const (
	entityTime = "2006-01-02 15:04"
	railsTime  = "2006-01-02T15:04:05.000-07:00"
)

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// mask hides the middle of a number as the vendor's masking fields do.
func mask(s string) string {
	if len(s) < 8 {
		return s
	}
	return s[:3] + "****" + s[len(s)-4:]
}

func (rec *record) regionInfo() string {
	return "中国" + rec.province + rec.co.City + rec.co.District
}

func (rec *record) ids() (province, city, district int) {
	return provinceIDs[rec.province], 1 + int(hash(rec.co.City)%400), 1 + int(hash(rec.co.City+rec.co.District)%3000)
}

// address is the full Rails address object of list and matching_name.
type address struct {
	ID                int     `json:"id"`
	AddressableID     int     `json:"addressable_id"`
	AddressableType   *string `json:"addressable_type"`
	CountryID         int     `json:"country_id"`
	ProvinceID        int     `json:"province_id"`
	CityID            int     `json:"city_id"`
	DistrictID        int     `json:"district_id"`
	Tel               string  `json:"tel"`
	Phone             *string `json:"phone"`
	Email             *string `json:"email"`
	QQ                *string `json:"qq"`
	Fax               *string `json:"fax"`
	Wechat            *string `json:"wechat"`
	Wangwang          *string `json:"wangwang"`
	Zip               *string `json:"zip"`
	URL               *string `json:"url"`
	DetailAddress     *string `json:"detail_address"`
	CreatedAt         string  `json:"created_at"`
	UpdatedAt         string  `json:"updated_at"`
	Lat               *string `json:"lat"`
	Lng               *string `json:"lng"`
	OffDistance       *int    `json:"off_distance"`
	RegionInfo        string  `json:"region_info"`
	Snippet           *string `json:"snippet"`
	OrganizationID    int     `json:"organization_id"`
	Mode              string  `json:"mode"`
	TimeFormat        string  `json:"time_format"`
	UseToJSON         bool    `json:"use_to_json"`
	TelHiddenResult   string  `json:"tel_hidden_result"`
	PhoneHiddenResult string  `json:"phone_hidden_result"`
}

// hidden returns the masking fields: the numbers themselves unless the
// record needs hidden disposal.
func hidden(on bool, tel string, phone *string) (string, string) {
	p := ""
	if phone != nil {
		p = *phone
	}
	if on {
		return mask(tel), mask(p)
	}
	return tel, p
}

func (rec *record) address() address {
	c := rec.co
	prov, city, dist := rec.ids()
	typ := "Customer"
	a := address{
		ID: rec.addrID, AddressableID: rec.id, AddressableType: &typ,
		CountryID: countryChina, ProvinceID: prov, CityID: city, DistrictID: dist,
		Tel: c.Tel, Phone: rec.mobile, Email: nullable(c.Email), Fax: nullable(c.Fax),
		Zip: nullable(c.Postcode), URL: nullable(c.Website), DetailAddress: nullable(c.Address),
		CreatedAt:  c.Created.Add(2 * time.Second).Format(railsTime),
		UpdatedAt:  c.Modified.Format(railsTime),
		RegionInfo: rec.regionInfo(), OrganizationID: demoOrgID,
		Mode: "compat", TimeFormat: "ruby", UseToJSON: true,
	}
	if rec.geo {
		a.Lat, a.Lng = nullable(strconv.FormatFloat(c.Lat, 'f', 6, 64)), nullable(strconv.FormatFloat(c.Lng, 'f', 6, 64))
	}
	a.TelHiddenResult, a.PhoneHiddenResult = hidden(rec.hidden, a.Tel, a.Phone)
	return a
}

func (rec *record) contactAddress(cr contactRecord) address {
	c := rec.co
	prov, city, dist := rec.ids()
	a := address{
		ID: cr.addrID, AddressableID: cr.id,
		CountryID: countryChina, ProvinceID: prov, CityID: city, DistrictID: dist,
		Tel: cr.tel, Phone: nullable(cr.p.Mobile), Email: nullable(cr.p.Email), QQ: nullable(cr.p.QQ),
		Wechat: nullable(cr.p.Wechat), Zip: nullable(c.Postcode), DetailAddress: nullable(c.Address),
		CreatedAt:  c.Created.Add(time.Duration(5+cr.id%50) * time.Minute).Format(railsTime),
		UpdatedAt:  c.Modified.Format(railsTime),
		RegionInfo: rec.regionInfo(), OrganizationID: demoOrgID,
		Mode: "compat", TimeFormat: "ruby", UseToJSON: true,
	}
	a.TelHiddenResult, a.PhoneHiddenResult = hidden(rec.hidden, a.Tel, a.Phone)
	return a
}

// item is a customer as duplicates/matching_name returns it, field for
// field like the seed sample.
type item struct {
	ID                    int           `json:"id"`
	UserID                int           `json:"user_id"`
	UserName              string        `json:"user_name"`
	Name                  string        `json:"name"`
	Status                string        `json:"status"`
	StatusMapped          string        `json:"status_mapped"`
	Category              string        `json:"category"`
	CategoryMapped        string        `json:"category_mapped"`
	NeedHiddenDispose     bool          `json:"need_hidden_dispose"`
	UpdatedAt             string        `json:"updated_at"`
	CreatedAt             string        `json:"created_at"`
	ApproveStatus         string        `json:"approve_status"`
	ApproveStatusI18n     string        `json:"approve_status_i18n"`
	CustomFieldTemplateID *int          `json:"custom_field_template_id"`
	WxExternalUserID      *string       `json:"wx_external_userid"`
	WxContactType         *int          `json:"wx_contact_type"`
	IsUserSelf            bool          `json:"is_user_self"`
	Labels                []string      `json:"labels"`
	Address               address       `json:"address"`
	Contacts              []itemContact `json:"contacts"`
}

type itemContact struct {
	ID                int     `json:"id"`
	Name              string  `json:"name"`
	Address           address `json:"address"`
	NeedHiddenDispose bool    `json:"need_hidden_dispose"`
	IsUserSelf        bool    `json:"is_user_self"`
}

// listItem is a customer as the list returns it: the matching_name item
// plus a few list-only fields.
type listItem struct {
	item
	UserThirdUserID      *string `json:"user_third_userid"`
	LastRevistLogContent *string `json:"last_revist_log_content"` // sic
	LastCalledAt         *string `json:"last_called_at"`
}

func (rec *record) approval() (string, string) {
	if rec.approved {
		return "approved", "已通过"
	}
	return "applying", "审批中"
}

func (rec *record) item() item {
	c := rec.co
	st, stLabel := rec.approval()
	it := item{
		ID: rec.id, UserID: rec.owner.id, UserName: rec.owner.name, Name: c.Name,
		Status: rec.status.id, StatusMapped: rec.status.label,
		Category: rec.category.id, CategoryMapped: rec.category.label,
		NeedHiddenDispose: rec.hidden,
		UpdatedAt:         c.Modified.Format(entityTime), CreatedAt: c.Created.Format(entityTime),
		ApproveStatus: st, ApproveStatusI18n: stLabel,
		WxExternalUserID: rec.wxID, Labels: rec.labels, Address: rec.address(),
		Contacts: make([]itemContact, 0, len(rec.contacts)),
	}
	if rec.wxID != nil {
		one := 1
		it.WxContactType = &one
	}
	for _, cr := range rec.contacts {
		it.Contacts = append(it.Contacts, itemContact{ID: cr.id, Name: cr.p.Name, Address: rec.contactAddress(cr), NeedHiddenDispose: rec.hidden})
	}
	return it
}

func (rec *record) listItem() listItem {
	li := listItem{item: rec.item()}
	if rec.idleDays < 30 {
		li.LastRevistLogContent = nullable("电话沟通,客户对报价有意向")
		li.LastCalledAt = nullable(rec.co.Modified.Add(-time.Duration(rec.idleDays) * time.Hour).Format(entityTime))
	}
	return li
}

// detail is a customer as customers/{id} returns it.
type detail struct {
	ID                   int             `json:"id"`
	UserID               int             `json:"user_id"`
	UserName             string          `json:"user_name"`
	Name                 string          `json:"name"`
	Status               string          `json:"status"`
	StatusMapped         string          `json:"status_mapped"`
	Note                 string          `json:"note"`
	Category             string          `json:"category"`
	CategoryMapped       string          `json:"category_mapped"`
	Labels               []string        `json:"labels"`
	Source               string          `json:"source"`
	SourceMapped         string          `json:"source_mapped"`
	Industry             string          `json:"industry"`
	IndustryMapped       string          `json:"industry_mapped"`
	Parent               struct{}        `json:"parent"`
	StaffSize            string          `json:"staff_size"`
	CreatedAt            string          `json:"created_at"`
	UpdatedAt            string          `json:"updated_at"`
	IsOwn                bool            `json:"is_own"`
	Attachments          string          `json:"attachments"`
	CompanyName          string          `json:"company_name"`
	QixinbaoID           *string         `json:"qixinbao_id"`
	Creator              creator         `json:"creator"`
	BeforeUser           struct{}        `json:"before_user"`
	NotRevisitAtTimeStr  string          `json:"not_revisit_at_time_str"`
	HistoryContarctMoney string          `json:"history_contarct_money"` // sic
	TotalHaveReceivePay  string          `json:"total_have_receive_pay"`
	TotalNotReceivePay   string          `json:"total_not_receive_pay"`
	IsEditable           bool            `json:"is_editable"`
	FlowIntoAt           *string         `json:"flow_into_at"`
	ExpectFlowAt         *string         `json:"expect_flow_at"`
	WillFlowTime         *string         `json:"will_flow_time"`
	RevisitRemindAt      *string         `json:"revisit_remind_at"`
	ApproveStatus        string          `json:"approve_status"`
	ApproveStatusI18n    string          `json:"approve_status_i18n"`
	NeedHiddenDispose    bool            `json:"need_hidden_dispose"`
	WxExternalUserID     *string         `json:"wx_external_userid"`
	Address              address         `json:"address"`
	Contacts             []detailContact `json:"contacts"`
}

type creator struct {
	ID             int     `json:"id"`
	Email          string  `json:"email"`
	CreatedAt      string  `json:"created_at"`
	Name           string  `json:"name"`
	OrganizationID int     `json:"organization_id"`
	Phone          string  `json:"phone"`
	RoleID         int     `json:"role_id"`
	WorkflowState  string  `json:"workflow_state"`
	Job            string  `json:"job"`
	Tel            string  `json:"tel"`
	AvatarURL      *string `json:"avatar_url"`
	DepartmentName string  `json:"department_name"`
	UID            string  `json:"uid"`
}

type detailContact struct {
	ID               int            `json:"id"`
	Name             string         `json:"name"`
	WxExternalUserID *string        `json:"wx_external_userid"`
	WxContactType    *int           `json:"wx_contact_type"`
	Address          partialAddress `json:"address"`
}

// partialAddress is the contact address the detail embeds.
type partialAddress struct {
	ID                int     `json:"id"`
	Tel               string  `json:"tel"`
	TelHiddenResult   string  `json:"tel_hidden_result"`
	Phone             *string `json:"phone"`
	PhoneHiddenResult string  `json:"phone_hidden_result"`
}

func (rec *record) detail() detail {
	c, u := rec.co, rec.creator
	st, stLabel := rec.approval()
	d := detail{
		ID: rec.id, UserID: rec.owner.id, UserName: rec.owner.name, Name: c.Name,
		Status: rec.status.id, StatusMapped: rec.status.label, Note: c.Remark,
		Category: rec.category.id, CategoryMapped: rec.category.label, Labels: rec.labels,
		Source: rec.origin.id, SourceMapped: rec.origin.label,
		Industry: rec.industry.id, IndustryMapped: rec.industry.label, StaffSize: rec.staffSize,
		CreatedAt: c.Created.Format(entityTime), UpdatedAt: c.Modified.Format(entityTime),
		IsOwn: true, Attachments: "暂无附件", CompanyName: c.Name,
		Creator: creator{
			ID: u.id, Email: u.email, CreatedAt: u.createdAt, Name: u.name, OrganizationID: demoOrgID,
			Phone: u.phone, RoleID: 3, WorkflowState: "active", Job: u.job, DepartmentName: u.dept,
			UID: fmt.Sprintf("%08x", hash(u.email)),
		},
		NotRevisitAtTimeStr:  fmt.Sprintf("%d天未跟进", rec.idleDays),
		HistoryContarctMoney: "0.0", TotalHaveReceivePay: "0.0", TotalNotReceivePay: "0.0",
		IsEditable: true, ApproveStatus: st, ApproveStatusI18n: stLabel,
		NeedHiddenDispose: rec.hidden, WxExternalUserID: rec.wxID, Address: rec.address(),
		Contacts: make([]detailContact, 0, len(rec.contacts)),
	}
	for _, cr := range rec.contacts {
		a := rec.contactAddress(cr)
		d.Contacts = append(d.Contacts, detailContact{ID: cr.id, Name: cr.p.Name, Address: partialAddress{
			ID: a.ID, Tel: a.Tel, TelHiddenResult: a.TelHiddenResult, Phone: a.Phone, PhoneHiddenResult: a.PhoneHiddenResult,
		}})
	}
	return d
}

// contact is a contact as customers/{id}/contacts returns it.
type contact struct {
	ID                int         `json:"id"`
	Name              string      `json:"name"`
	NamePinyin        *string     `json:"name_pinyin"`
	UserID            int         `json:"user_id"`
	UserName          string      `json:"user_name"`
	Department        string      `json:"department"`
	Category          string      `json:"category"`
	CategoryMapped    string      `json:"category_mapped"`
	Gender            string      `json:"gender"`
	GenderI18n        string      `json:"gender_i18n"`
	CustomerID        int         `json:"customer_id"`
	CustomerName      string      `json:"customer_name"`
	BirthDate         *string     `json:"birth_date"`
	Job               string      `json:"job"`
	Address           fullAddress `json:"address"`
	IsOwn             bool        `json:"is_own"`
	HaveImage         bool        `json:"have_image"`
	NeedHiddenDispose bool        `json:"need_hidden_dispose"`
	IsUserSelf        bool        `json:"is_user_self"`
}

// fullAddress is the contact address of the contacts endpoint; its lat
// and lng are numbers there (0.0 when unknown), not strings.
type fullAddress struct {
	ID                int     `json:"id"`
	Tel               string  `json:"tel"`
	TelHiddenResult   string  `json:"tel_hidden_result"`
	Phone             *string `json:"phone"`
	PhoneHiddenResult string  `json:"phone_hidden_result"`
	QQ                *string `json:"qq"`
	Email             *string `json:"email"`
	Lng               float   `json:"lng"`
	Lat               float   `json:"lat"`
	DetailAddress     string  `json:"detail_address"`
	OffDistance       int     `json:"off_distance"`
	URL               *string `json:"url"`
	GaodeStaticmap    string  `json:"gaode_staticmap"`
	FullAddress       string  `json:"full_address"`
}

// float is a number written as Ruby writes a Float: always with a
// decimal point (0.0, not 0).
type float float64

// MarshalJSON implements json.Marshaler.
func (f float) MarshalJSON() ([]byte, error) {
	s := strconv.FormatFloat(float64(f), 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return []byte(s), nil
}

func (rec *record) contact(cr contactRecord) contact {
	a := rec.contactAddress(cr)
	gender := map[string]string{"男": "male", "女": "female"}[cr.p.Gender]
	return contact{
		ID: cr.id, Name: cr.p.Name, UserID: rec.owner.id, UserName: rec.owner.name,
		Gender: gender, GenderI18n: cr.p.Gender, CustomerID: rec.id, CustomerName: rec.co.Name,
		Job: cr.p.Title,
		Address: fullAddress{
			ID: a.ID, Tel: a.Tel, TelHiddenResult: a.TelHiddenResult, Phone: a.Phone, PhoneHiddenResult: a.PhoneHiddenResult,
			QQ: a.QQ, Email: a.Email, DetailAddress: rec.co.Address, OffDistance: -1,
			FullAddress: rec.regionInfo() + rec.co.Street,
		},
		IsOwn: true, NeedHiddenDispose: rec.hidden,
	}
}
