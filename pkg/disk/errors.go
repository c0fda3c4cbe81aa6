package disk

import "errors"

// Sentinel errors, wrapped by *Error. Callers branch with errors.Is.
var (
	// ErrInvalid: the disk string is not a disk URI or names something that
	// can never be a disk (a directory, a character device, a socket).
	ErrInvalid = errors.New("invalid disk")
	// ErrNotAllowed: the path, or what it resolves to, is outside the
	// allowed device directories.
	ErrNotAllowed = errors.New("disk not allowed")
	// ErrNotFound: the path does not exist.
	ErrNotFound = errors.New("disk not found")
	// ErrChanged: the file opened is not the one resolved (it was replaced
	// in between).
	ErrChanged = errors.New("disk changed while opening")
)

// Error is a disk resolution or access error. Msg is a complete, user-facing
// sentence that says what to do; Err is one of the sentinels above or an
// underlying I/O error.
type Error struct {
	Disk string
	Path string
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Msg }

func (e *Error) Unwrap() error { return e.Err }
