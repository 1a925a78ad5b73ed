package config

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"custgraph/internal/quota"
)

// leaf is a field of Config that a setting fills: its address and type
// (a struct and its first field share an address).
type leaf struct {
	addr uintptr
	typ  reflect.Type
}

// leaves maps every field of the struct v that holds a value to its path,
// going into the structs that only group fields; quota.Rate is one value.
func leaves(v reflect.Value, path string, out map[leaf]string) {
	for i := range v.NumField() {
		f, name := v.Field(i), path+"."+v.Type().Field(i).Name
		if f.Kind() == reflect.Struct && f.Type() != reflect.TypeFor[quota.Rate]() {
			leaves(f, name, out)
			continue
		}
		out[leaf{f.Addr().Pointer(), f.Type()}] = name
	}
}

// TestEveryFieldHasOneSetting: a field added to Config without a setting
// would be neither loaded nor printed, and two settings of one field would
// overwrite each other.
func TestEveryFieldHasOneSetting(t *testing.T) {
	c := &Config{}
	fields := map[leaf]string{}
	leaves(reflect.ValueOf(c).Elem(), "Config", fields)
	claimed := map[leaf]string{}
	each(func(_ section, s setting) {
		p := reflect.ValueOf(s.bind.field(c))
		l := leaf{p.Pointer(), p.Elem().Type()}
		path, ok := fields[l]
		switch {
		case !ok:
			t.Errorf("%s fills no field of Config", s.name)
		case claimed[l] != "":
			t.Errorf("%s and %s both fill %s", claimed[l], s.name, path)
		default:
			claimed[l] = s.name
		}
	})
	for l, path := range fields {
		if claimed[l] == "" {
			t.Errorf("%s has no setting: add one to the table", path)
		}
	}
}

func TestSettingsAreWellFormed(t *testing.T) {
	valid := regexp.MustCompile(`^CUSTGRAPH_[A-Z0-9]+(_[A-Z0-9]+)*$`)
	names := map[string]bool{}
	each(func(_ section, s setting) {
		if !valid.MatchString(s.name) {
			t.Errorf("%q is not a CUSTGRAPH_UPPER_CASE name", s.name)
		}
		if names[s.name] {
			t.Errorf("%s is declared twice", s.name)
		}
		names[s.name] = true
		if s.secret && s.def != "" {
			t.Errorf("%s is a secret with a default", s.name)
		}
		if s.demoDef && s.def != "" {
			t.Errorf("%s has a default (%q) besides the demo mode's", s.name, s.def)
		}
	})
	each(func(_ section, s setting) {
		if s.requiredWith != "" && !names[s.requiredWith] {
			t.Errorf("%s is required with %s, which is no setting", s.name, s.requiredWith)
		}
	})
	for _, sec := range table {
		keys := map[string]bool{}
		for _, s := range sec.settings {
			if k := sec.dumpKey(s); keys[k] {
				t.Errorf("two settings print as %s=… in section %q", k, sec.key)
			} else {
				keys[k] = true
			}
		}
	}
}

// TestStringShowsEverySetting: each setting is printed with its value (its
// default here), secrets masked.
func TestStringShowsEverySetting(t *testing.T) {
	c, err := Load(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	each(func(sec section, st setting) {
		want := sec.dumpKey(st) + "=" + st.bind.show(c)
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q: %s", want, s)
		}
	})
	for _, want := range []string{"demo_mode=true", "demo=auto", "max_body_bytes=1048576", "introspection=true", "cache_ttl=5m0s"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q: %s", want, s)
		}
	}
}

// TestSecretsAreMasked sets each secret alone: String shows "***" for it
// and "" for the others, and never a value.
func TestSecretsAreMasked(t *testing.T) {
	n := 0
	each(func(sec section, s setting) {
		if !s.secret {
			return
		}
		n++
		marker := "MARKER-" + s.name
		c, err := Load(envOf(map[string]string{s.name: marker}))
		if err != nil {
			t.Fatalf("%s alone: %v", s.name, err)
		}
		dump := c.String()
		if strings.Contains(dump, marker) || !strings.Contains(dump, sec.dumpKey(s)+"=***") {
			t.Errorf("%s set: %s", s.name, dump)
		}
		each(func(osec section, o setting) {
			if o.secret && o.name != s.name && !regexp.MustCompile(`[ {]`+osec.dumpKey(o)+`=[ }]`).MatchString(dump) {
				t.Errorf("%s unset is not shown empty: %s", o.name, dump)
			}
		})
	})
	if n < 6 {
		t.Errorf("%d secrets in the table, want at least the 6 there are today", n)
	}
}

// TestSecretValueNeverInError: what a parser says may quote the value,
// which for a secret must not reach the error.
func TestSecretValueNeverInError(t *testing.T) {
	s := setting{name: "CUSTGRAPH_TEST_SECRET", secret: true,
		bind: duration(func(c *Config) *time.Duration { return &c.Edge.IdleTimeout }, false)}
	c := &Config{}
	errs := s.apply(c, "1s", "S3CRET-VALUE")
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), s.name) || strings.Contains(errs[0].Error(), "S3CRET-VALUE") {
		t.Errorf("errors %v", errs)
	}
	if c.Edge.IdleTimeout != time.Second {
		t.Errorf("a refused value left %s, want the default 1s", c.Edge.IdleTimeout)
	}
	s.secret = false
	if errs := s.apply(c, "1s", "not-secret"); len(errs) != 1 || !strings.Contains(errs[0].Error(), `"not-secret"`) {
		t.Errorf("a plain setting's error should quote its value: %v", errs)
	}
}

// TestRequiredNamesTheBaseURL: a source's credentials are required only
// with its base URL, and the error says which.
func TestRequiredNamesTheBaseURL(t *testing.T) {
	if _, err := Load(envOf(map[string]string{"CUSTGRAPH_YCM_CLIENT_ID": "id"})); err != nil {
		t.Errorf("a credential without its base URL: %v", err)
	}
	_, err := Load(envOf(map[string]string{"CUSTGRAPH_YCM_BASE_URL": "https://ycm.example.com", "CUSTGRAPH_YCM_CLIENT_ID": " "}))
	for _, want := range []string{"CUSTGRAPH_YCM_CLIENT_ID is required when CUSTGRAPH_YCM_BASE_URL is set",
		"CUSTGRAPH_YCM_CLIENT_SECRET is required"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}
