// Package redact is custgraph's one redactor: it takes credentials out of
// URLs, of texts that may hold URLs, and of errors, before they reach a
// log, a client or the start-up configuration dump.
//
// One behaviour serves every URL, whether a vendor's (U8 puts its token and
// app_key in the query string), Redis's (its password is in the user info)
// or one found in an error: the user info is masked as "***@", and the
// query string and the fragment are dropped. The three redactors this
// replaces each did a part of it (one dropped the user info, one masked
// only the password and kept the query, one masked the user info and
// dropped the query); doing all of it everywhere is the safest of them.
// The user info is masked rather than dropped so that a reader still sees
// that the URL carries credentials; the user name goes with it because an
// ACL user name is half of a credential, and nothing needs it in a log.
package redact

import (
	"errors"
	"net/url"
	"strings"
)

// mask stands for whatever was taken out.
const mask = "***"

// URL returns raw without its credentials: user info becomes "***@", and
// the query string and the fragment are dropped. The scheme, host, port
// and path are kept, which is what a reader of a log needs. A raw that does
// not parse as a URL is redacted as text all the same, erring on the side
// of showing too little.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return unparsed(raw)
	}
	creds := u.User != nil
	u.User = nil
	// An opaque URL (scheme:opaque, e.g. user:pw@host:port written
	// without "//") keeps what would be user info in Opaque.
	if at := strings.LastIndex(u.Opaque, "@"); at >= 0 {
		u.Opaque = mask + u.Opaque[at:]
	}
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	s := u.String()
	if creds {
		// Written by hand: url.Userinfo would escape the mask as %2A.
		// User info goes after the first "//", which follows the scheme;
		// a URL left without host and path has none, and gets one.
		if i := strings.Index(s, "//"); i >= 0 {
			s = s[:i+2] + mask + "@" + s[i+2:]
		} else {
			s = strings.TrimSuffix(s, ":") + "://" + mask + "@"
		}
	}
	return s
}

// unparsed redacts what url.Parse refused, e.g. a password with a bad
// percent escape or a '/' in it: everything up to the last '@' after the
// scheme is user info as far as this can tell, and everything from the
// first '?' or '#' after it is query or fragment.
func unparsed(raw string) string {
	head, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		head, rest = raw[:i+3], raw[i+3:]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = mask + rest[at:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	return head + rest
}

// Text applies URL to every URL-like word of s (one holding "://" or a
// query string), so that error texts of HTTP and Redis clients, which
// quote the URL they failed on, can be logged. Text without such words is
// returned as it is.
func Text(s string) string {
	words := strings.Fields(s)
	changed := false
	for i, w := range words {
		if strings.Contains(w, "://") || strings.Contains(w, "?") {
			words[i] = URL(strings.Trim(w, `"'`))
			changed = true
		}
	}
	if !changed {
		return s
	}
	return strings.Join(words, " ")
}

// Error returns err with its text redacted by Text (a *url.Error's URL by
// URL), so that tokens and keys in a URL never reach a log or a client.
// errors.Is and errors.As still see the errors err wraps.
func Error(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &redacted{msg: ue.Op + " " + URL(ue.URL) + ": " + Text(ue.Err.Error()), err: ue.Err}
	}
	return &redacted{msg: Text(err.Error()), err: errors.Unwrap(err)}
}

// redacted is an error whose text is redacted and whose chain goes on
// below it.
type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
