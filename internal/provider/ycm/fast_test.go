package ycm

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"testing"
)

// checkSuccess fails when decodeSuccess takes an answer that Client.do,
// reading it the general way (the envelope, then its data), would not
// return the same page for.
func checkSuccess(t *testing.T, status int, body []byte) bool {
	t.Helper()
	got := new(wirePage)
	if !decodeSuccess(status, body, got) {
		if !reflect.DeepEqual(got, new(wirePage)) {
			t.Fatalf("decodeSuccess(%d, %q) refused but changed the page: %+v", status, body, got)
		}
		return false
	}
	env, err := decodeEnvelope(body)
	if err != nil || tokenRefused(status, &env) || check(status, env, nil) != nil || isNull(env.Data) {
		t.Fatalf("decodeSuccess(%d, %q) took an answer the general way refuses: %v", status, body, err)
	}
	want := new(wirePage)
	if err := json.Unmarshal(env.Data, want); err != nil {
		t.Fatalf("decodeSuccess(%d, %q) took data the general way refuses: %v", status, body, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeSuccess(%d, %q) = %+v; the general way %+v", status, body, got, want)
	}
	return true
}

func TestDecodeSuccessSample(t *testing.T) {
	sample, err := os.ReadFile("testdata/customers.json")
	if err != nil {
		t.Fatal(err)
	}
	// The sample is the shape lenient.Decode must read in one pass.
	if !decodeOnce(http.StatusOK, sample, new(wirePage)) {
		t.Error("decodeOnce refused the sample answer")
	}
	checkSuccess(t, http.StatusOK, sample)
}

func FuzzDecodeSuccess(f *testing.F) {
	sample, err := os.ReadFile("testdata/customers.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte(`{"data":{"total":"2","list":[{"customerId":"1"},{"customerId":2.0}]},"status":"Success"}`))
	f.Add([]byte(`{"data":null,"data":{"total":1,"list":[]},"status":"Success"}`))
	f.Add([]byte(`{"data":{"total":1},"Data":{"total":2},"status":"Success"}`))
	f.Add([]byte(`{"data":{"list":[{"customerId":1}],"list":[{"firstName":"x"}]},"status":"Success"}`))
	f.Add([]byte(`{"status":"Failed","errorCode":"10004","data":{"total":1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{http.StatusOK, http.StatusUnauthorized, http.StatusNotFound} {
			checkSuccess(t, status, body)
		}
	})
}
