//go:build unix

package main

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// deadLocalPID reports whether id names a process of this host ("host-pid")
// that no longer runs.
func deadLocalPID(id, host string) (int, bool) {
	rest, ok := strings.CutPrefix(id, host+"-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(rest)
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return 0, false
	}
	err = syscall.Kill(pid, 0)
	return pid, errors.Is(err, syscall.ESRCH)
}
