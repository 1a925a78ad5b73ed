package main

import "testing"

func TestReadmeQueries(t *testing.T) {
	md := "# Mesh\n\n" +
		"| | Mesh | custgraph |\n|---|---|---|\n" +
		"| (a) one source | `{ u8Customers(page: 1, rows: 20) { customer { code name } } }` | `{ customers { nodes { id } } }` |\n" +
		"| (b) three sources | `{ u8(rows: 7) { code } ycm { id } }` | `{ customers(first: 21) { nodes { id } } }` |\n" +
		"| (c) not expressible | – | `{ x }` |\n\n" +
		"| scenario | calls |\n|---|---|\n| (a) | 1 (`batch_get`) |\n\n" +
		"Entity by id (d):\n\n```graphql\n{ u8Customer(code: \"00000001\") { customer { code } } }\n```\n\n" +
		"```sh\n# (c)\ncurl …\n```\n"
	q := readmeQueries(md)
	want := map[string]string{
		"a": `{ u8Customers(page: 1, rows: 20) { customer { code name } } }`,
		"b": `{ u8(rows: 7) { code } ycm { id } }`,
		"d": `{ u8Customer(code: "00000001") { customer { code } } }`,
	}
	if len(q) != len(want) {
		t.Errorf("got %d queries %v, want %d", len(q), q, len(want))
	}
	for k, v := range want {
		if q[k] != v {
			t.Errorf("query %s = %q, want %q", k, q[k], v)
		}
	}
}

func TestParseTokens(t *testing.T) {
	got, err := parseTokens("export U8_TOKEN='abc'\nexport SIM_URL='http://127.0.0.1:1'\nnoise\nCRM_TOKEN=\"x y\"\n")
	if err != nil || got["U8_TOKEN"] != "abc" || got["SIM_URL"] != "http://127.0.0.1:1" || got["CRM_TOKEN"] != "x y" || len(got) != 3 {
		t.Errorf("env lines: %v, %v", got, err)
	}
	got, err = parseTokens(`{"YCM_TOKEN": "t"}`)
	if err != nil || got["YCM_TOKEN"] != "t" {
		t.Errorf("JSON: %v, %v", got, err)
	}
	if _, err := parseTokens("nothing here\n"); err == nil {
		t.Error("no token lines: no error")
	}
}
