package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

var redisReady = regexp.MustCompile(`(Ready to accept connections)`)

// startRedis serves a private, password-protected redis-server on a free
// loopback port, keeping nothing on disk, and returns its URL. It fails
// when redis-server is not installed (`make bench` installs Debian's as
// root, through scripts/ensure-redis).
func (b *bench) startRedis() (string, *proc, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", nil, fmt.Errorf("redis-server is not installed (as root, `make bench` installs it; else `sudo apt-get install -y redis-server`)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	password := hex.EncodeToString(secret)
	argv := []string{bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--requirepass", password,
		"--save", "", "--appendonly", "no"}
	p, err := b.start("redis-server", b.tmp, nil, redisReady, argv...)
	if err != nil {
		return "", nil, err
	}
	if _, err := p.waitAddr(10 * time.Second); err != nil {
		return "", nil, err
	}
	b.note("redis-server --port %d --bind 127.0.0.1 --requirepass $PASSWORD --save '' --appendonly no   # the replicas' shared state", port)
	return fmt.Sprintf("redis://:%s@127.0.0.1:%d/0", password, port), p, nil
}
