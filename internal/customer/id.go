package customer

import "strings"

// GlobalID names one record of one source: "<source>:<sourceId>", with the
// source in lower case ("u8:00000001", "ycm:50086120", "crm:831").
type GlobalID struct {
	Source Source
	Key    string
}

// String formats the ID, e.g. "u8:00000001".
func (id GlobalID) String() string { return id.Source.Prefix() + ":" + id.Key }

// maxKeyLen bounds a source key; no vendor uses keys anywhere near this.
const maxKeyLen = 64

// ParseGlobalID parses a global ID. Anything that does not parse, or names
// an unknown source, is a BadInput error.
func ParseGlobalID(s string) (GlobalID, error) {
	prefix, key, ok := strings.Cut(s, ":")
	if !ok {
		return GlobalID{}, BadInputf("invalid id %q: want <source>:<key>, e.g. u8:00000001", truncate(s))
	}
	var src Source
	switch prefix {
	case "u8":
		src = U8
	case "ycm":
		src = YCM
	case "crm":
		src = CRM
	default:
		return GlobalID{}, BadInputf("invalid id %q: unknown source %q (want u8, ycm or crm)", truncate(s), truncate(prefix))
	}
	if err := validKey(src, key); err != nil {
		return GlobalID{}, BadInputf("invalid id %q: %s", truncate(s), err.Message)
	}
	return GlobalID{Source: src, Key: key}, nil
}

// validKey checks a source key's shape: U8 codes are free text without
// spaces or control characters; YCM and CRM ids are decimal numbers.
func validKey(src Source, key string) *Error {
	if key == "" {
		return BadInputf("empty key")
	}
	if len(key) > maxKeyLen {
		return BadInputf("key longer than %d bytes", maxKeyLen)
	}
	switch src {
	case YCM, CRM:
		for _, r := range key {
			if r < '0' || r > '9' {
				return BadInputf("%s ids are numbers", src)
			}
		}
	default:
		for _, r := range key {
			if r <= ' ' || r == 0x7f {
				return BadInputf("U8 codes have no spaces or control characters")
			}
		}
	}
	return nil
}

func truncate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
