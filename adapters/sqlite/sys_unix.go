//go:build linux || darwin || freebsd

package sqlite

import "syscall"

// freeBytes returns the space left to unprivileged users on the file
// system holding dir.
func freeBytes(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}

// writable reports whether this process may write path (a file or a
// directory), without writing anything: access(2) with W_OK, which also
// says no on a read-only mount.
func writable(path string) (bool, bool) {
	err := syscall.Access(path, 2) // W_OK
	switch err {
	case nil:
		return true, true
	case syscall.EROFS, syscall.EACCES, syscall.EPERM:
		return false, true
	}
	return false, false
}
