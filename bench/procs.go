package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process of the harness, in a process group of its own
// (so that a script's children stop with it), its output in a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	// addr receives the first match of the address pattern on stdout.
	addr chan string
}

// startProc starts argv in dir with env, stdout and stderr to
// logDir/name.log. When addrPattern is set, its first submatch on stdout
// is sent on p.addr.
func startProc(name, dir, logDir string, env []string, addrPattern *regexp.Regexp, argv ...string) (*proc, error) {
	path := filepath.Join(logDir, name+".log")
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stderr = dir, env, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 3 * time.Second
	p := &proc{name: name, cmd: cmd, log: path, done: make(chan struct{}), addr: make(chan string, 1)}
	cmd.Stdout = f
	if addrPattern != nil {
		cmd.Stdout = &addrWatcher{w: f, re: addrPattern, found: p.addr}
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// waitAddr waits for the address the process prints when it listens.
func (p *proc) waitAddr(timeout time.Duration) (string, error) {
	select {
	case a := <-p.addr:
		return a, nil
	case <-p.done:
		return "", fmt.Errorf("%s exited before listening:\n%s", p.name, tail(p.log, 15))
	case <-time.After(timeout):
		return "", fmt.Errorf("%s did not listen within %s:\n%s", p.name, timeout, tail(p.log, 15))
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
}

// addrWatcher passes output through and reports the first match of re.
type addrWatcher struct {
	mu    sync.Mutex
	w     io.Writer
	re    *regexp.Regexp
	buf   []byte
	found chan string
	done  bool
}

func (a *addrWatcher) Write(b []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.done {
		a.buf = append(a.buf, b...)
		if m := a.re.FindSubmatch(a.buf); m != nil {
			a.found <- string(m[1])
			a.done, a.buf = true, nil
		}
	}
	return a.w.Write(b)
}

// tail is the last n lines of a log file, indented.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "  (no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// procMemory is one process's peak resident set (VmHWM).
type procMemory struct {
	pid    int
	name   string
	peakKB int64
}

// treeMemory reads VmHWM of root and every process descended from it:
// a script's servers are its children or grandchildren.
func treeMemory(root int) ([]procMemory, error) {
	pids, names := descendants(root)
	var out []procMemory
	for _, pid := range pids {
		kb, err := peakKB(pid)
		if err != nil {
			if pid == root {
				return nil, err
			}
			continue
		}
		out = append(out, procMemory{pid: pid, name: names[pid], peakKB: kb})
	}
	return out, nil
}

// clockTick is the unit of utime and stime in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux the harness runs on).
const clockTick = 10 * time.Millisecond

// treeCPU is the CPU time (user and system) that root and its descendants
// have used so far.
func treeCPU(root int) time.Duration {
	pids, _ := descendants(root)
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The fields after the command name, which is in parentheses:
		// state is the 3rd field, utime the 14th and stime the 15th.
		_, rest, ok := strings.Cut(string(b), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * clockTick
	}
	return total
}

// descendants is root and every live process descended from it, with
// their names.
func descendants(root int) ([]int, map[int]string) {
	children := map[int][]int{}
	names := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStatus(pid)
		if err != nil {
			continue
		}
		ppid, _ := strconv.Atoi(st["PPid"])
		children[ppid] = append(children[ppid], pid)
		names[pid] = st["Name"]
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = append(queue[1:], children[pid]...)
		out = append(out, pid)
	}
	return out, names
}

// peakKB is VmHWM of pid in kB.
func peakKB(pid int) (int64, error) {
	st, err := readStatus(pid)
	if err != nil {
		return 0, err
	}
	v, ok := st["VmHWM"]
	if !ok {
		return 0, errors.New("no VmHWM in /proc status")
	}
	return strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
}

func readStatus(pid int) (map[string]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	st := map[string]string{}
	for line := range bytes.Lines(b) {
		k, v, ok := strings.Cut(string(line), ":")
		if ok {
			st[k] = strings.TrimSpace(v)
		}
	}
	return st, nil
}
