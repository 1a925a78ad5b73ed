// Package readbody reads an HTTP body whole, in one allocation of its
// declared length when it has one: io.ReadAll starts at 512 bytes and
// grows, allocating and copying about twice a vendor's answer or a
// client's query (issue 18: 8 % of the bytes a 20-row query allocated).
package readbody

import "io"

// Read returns r's bytes. length is the body's declared length (an HTTP
// message's ContentLength). When it is positive and at most presize, the
// bytes are read into one slice of that length: a body shorter than
// declared is io.ErrUnexpectedEOF, and net/http's readers stop at the
// declared length. Otherwise it is io.ReadAll(r), bounding r being the
// caller's: -1 is unknown, 0 is unknown too for a request built in
// process (net/http's rule for client requests: 0 with a body means
// unknown), and a length over presize is the sender's word only, which
// must not size an allocation beyond what the caller accepts.
func Read(r io.Reader, length, presize int64) ([]byte, error) {
	if length <= 0 || length > presize {
		return io.ReadAll(r)
	}
	b := make([]byte, length)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}
