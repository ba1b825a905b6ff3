package bot

import (
	"errors"
	"strings"
)

// ErrStoreRefused is matched (errors.Is) by a StoreRefusedError: the store
// refuses writes (disk full, read-only, damaged file).
var ErrStoreRefused = errors.New("the database refuses writes")

// StoreRefusedError is a store failure that will not go away by retrying:
// the disk is full, the database is read-only or its file is damaged.
// Reason names it plainly; Hint says what to do.
type StoreRefusedError struct {
	Reason string // "no space left on device", "the database is read-only", …
	Hint   string
	Err    error
}

func (e *StoreRefusedError) Error() string {
	msg := e.Reason
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// Unwrap returns the store's own error.
func (e *StoreRefusedError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrStoreRefused) true.
func (e *StoreRefusedError) Is(target error) bool { return target == ErrStoreRefused }

// Reasons and hints of StoreRefusedError.
const (
	ReasonNoSpace  = "no space left on device"
	ReasonReadOnly = "the database is read-only"
	ReasonDamaged  = "the database file is damaged"
	ReasonIO       = "disk I/O error"
	HintNoSpace    = "free disk space where the database lives (or give it a larger volume); the bot resumes by itself"
	HintReadOnly   = "check the permissions of the database file and its directory, and that the volume is mounted read-write"
	HintDamaged    = "stop the bot, then restore a backup, or start a new database file (DIGESTBOT_DB) and run `digestbot backfill FEED` into it; the damaged file is left as it is"
	HintIO         = "check the disk (dmesg) and its free space"
)

// StoreRefusal reports whether err shows that the store refuses writes, and
// returns it as a *StoreRefusedError. It recognises a StoreRefusedError in
// the chain, then the texts of SQLite and PostgreSQL errors, so that every
// store is covered without wrapping each of its calls.
func StoreRefusal(err error) (*StoreRefusedError, bool) {
	if err == nil {
		return nil, false
	}
	var re *StoreRefusedError
	if errors.As(err, &re) {
		return re, true
	}
	msg := strings.ToLower(err.Error())
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("no space left on device", "database or disk is full", "sqlstate 53100", "(sqlite_full)", "disk full"):
		return &StoreRefusedError{Reason: ReasonNoSpace, Hint: HintNoSpace, Err: err}, true
	case has("readonly database", "read-only file system", "sqlstate 25006", "read-only transaction", "(sqlite_readonly"):
		return &StoreRefusedError{Reason: ReasonReadOnly, Hint: HintReadOnly, Err: err}, true
	case has("database disk image is malformed", "file is not a database", "sqlstate xx001", "sqlstate xx002", "(sqlite_corrupt", "(sqlite_notadb"):
		return &StoreRefusedError{Reason: ReasonDamaged, Hint: HintDamaged, Err: err}, true
	case has("disk i/o error"):
		return &StoreRefusedError{Reason: ReasonIO, Hint: HintIO, Err: err}, true
	}
	return nil, false
}
