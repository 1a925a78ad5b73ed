package ycm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"custgraph/internal/provider/lenient"
)

// envelope is YCM's response wrapper: {data, requestId, status, time} on
// success, status "Failed" with an error code on failure.
//
// Unconfirmed: YCM documents no error fields. We read errorCode/message (the
// simulator's choice) and errno/errmsg (what sibling Yeastar APIs send), so
// either shape yields the vendor's code. Spring's default error body, whose
// "status" is the HTTP status number, also decodes.
type envelope struct {
	Data      json.RawMessage `json:"data"`
	RequestID lenient.String  `json:"requestId"`
	Status    lenient.String  `json:"status"`
	ErrorCode lenient.String  `json:"errorCode"`
	Errno     lenient.String  `json:"errno"`
	Message   lenient.String  `json:"message"`
	Errmsg    lenient.String  `json:"errmsg"`
}

// code is the vendor's error code, "" when it gave none.
func (e *envelope) code() string {
	if c := strings.TrimSpace(string(e.ErrorCode)); c != "" {
		return c
	}
	return strings.TrimSpace(string(e.Errno))
}

// message is the vendor's error text. It may echo a token, so it is only
// inspected, never copied into an error.
func (e *envelope) message() string { return string(e.Message) + " " + string(e.Errmsg) }

func (e *envelope) succeeded() bool {
	return strings.EqualFold(strings.TrimSpace(string(e.Status)), "Success")
}

func (e *envelope) failed() bool {
	return strings.EqualFold(strings.TrimSpace(string(e.Status)), "Failed")
}

// wireCustomer is YCM's Customer_Info. customerId is a Long; every other
// field a string that may be absent or null.
type wireCustomer struct {
	CustomerID     lenient.Int    `json:"customerId"`
	FirstName      lenient.String `json:"firstName"`
	LastName       lenient.String `json:"lastName"`
	Company        lenient.String `json:"company"`
	Email          lenient.String `json:"email"`
	BusinessNumber lenient.String `json:"businessNumber"`
	MobileNumber   lenient.String `json:"mobileNumber"`
	HomeNumber     lenient.String `json:"homeNumber"`
	FaxNumber      lenient.String `json:"faxNumber"`
	ZipCode        lenient.String `json:"zipCode"`
	Street         lenient.String `json:"street"`
	City           lenient.String `json:"city"`
	State          lenient.String `json:"state"`
	Country        lenient.String `json:"country"`
	Remark         lenient.String `json:"remark"`
}

// wirePage is the data of a customer list answer.
type wirePage struct {
	PageSize   lenient.Int    `json:"pageSize"`
	PageNumber lenient.Int    `json:"pageNumber"`
	Total      lenient.Int    `json:"total"`
	List       []wireCustomer `json:"list"`
}

// wireToken is the token endpoint's bare OAuth answer.
type wireToken struct {
	AccessToken  string      `json:"access_token"`
	RefreshToken string      `json:"refresh_token"`
	TokenType    string      `json:"token_type"`
	ExpiresIn    lenient.Int `json:"expires_in"`
}

// decodeEnvelope reads a response wrapper.
func decodeEnvelope(body []byte) (envelope, error) {
	var e envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return envelope{}, fmt.Errorf("decode envelope: %w", err)
	}
	return e, nil
}

// isNull reports whether a data value is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// decodePage reads the data of a list answer into wire records and the
// total. A page without a total cannot be paged through, so it is refused.
func decodePage(raw json.RawMessage) (*wirePage, error) {
	if isNull(raw) {
		return nil, errors.New("list answer without data")
	}
	var p wirePage
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("decode customer list: %w", err)
	}
	if err := checkPage(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// checkPage refuses a decoded page without a total.
func checkPage(p *wirePage) error {
	if !p.Total.Valid || p.Total.Value < 0 {
		return errors.New("customer list without a total")
	}
	return nil
}

// dataDirect is envelope with data decoded in the same pass as the rest,
// straight into the caller's type.
type dataDirect struct {
	envelope
	// Data shadows envelope.Data.
	Data any `json:"data"`
}

// decodeSuccess decodes an answer that Client.do would return the data of
// (no refused token, check passes, data not null) into into, a pointer to
// a zero value, in one pass, and reports whether it could. When it could
// not, into is unchanged and the answer must be read the general way
// (decodeEnvelope, then the data), which words every error. It only takes
// answers where the result is the same either way: data comes exactly once
// (encoding/json would merge a second one into the first, where
// json.RawMessage keeps only the last).
func decodeSuccess(status int, body []byte, into any) bool {
	dst := reflect.ValueOf(into)
	if dst.Kind() != reflect.Pointer || dst.IsNil() || !dst.Elem().IsZero() {
		return false
	}
	if p, ok := into.(*wirePage); ok && decodeOnce(status, body, p) {
		return true
	}
	// A fresh value, so that an answer refused below leaves into alone.
	fresh := reflect.New(dst.Elem().Type())
	d := dataDirect{Data: fresh.Interface()}
	if json.Unmarshal(body, &d) != nil || d.Data == nil {
		return false
	}
	if n, sure := lenient.Members(body, "data"); !sure || n != 1 {
		return false
	}
	if tokenRefused(status, &d.envelope) || check(status, d.envelope, nil) != nil {
		return false
	}
	dst.Elem().Set(fresh.Elem())
	return true
}

// dataOf is envelope with data decoded in the same pass as the rest, for
// lenient.Decode, which reads the answer once where json.Unmarshal reads
// it twice with a slower scanner.
type dataOf[T any] struct {
	envelope
	// Data shadows envelope.Data. A pointer, so that an answer without
	// data (or with null) is told apart.
	Data *T `json:"data"`
}

// decodeOnce is decodeSuccess with lenient.Decode; into is zero.
// lenient.Decode refuses what it is not sure of, two data members for one
// (Data is no longer nil at the second), and decodeSuccess then decodes
// the answer with encoding/json.
func decodeOnce[T any](status int, body []byte, into *T) bool {
	var d dataOf[T]
	if !lenient.Decode(body, &d) || d.Data == nil || tokenRefused(status, &d.envelope) || check(status, d.envelope, nil) != nil {
		return false
	}
	*into = *d.Data
	return true
}

// decodeToken reads a token answer. YCM sends bare OAuth JSON; an answer
// wrapped in the usual {data: …} envelope is accepted too.
func decodeToken(body []byte) (*wireToken, error) {
	var t struct {
		wireToken
		Data *wireToken `json:"data"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		// Not the error text: it could quote part of a token.
		return nil, errors.New("undecodable token answer")
	}
	if t.AccessToken == "" && t.Data != nil {
		t.wireToken = *t.Data
	}
	if strings.TrimSpace(t.AccessToken) == "" {
		return nil, errors.New("token answer without access_token")
	}
	return &t.wireToken, nil
}
