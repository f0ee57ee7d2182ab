package vault

import "errors"

// sentinels are this package's error classes, in the order Classify tests
// them.
var sentinels = []error{ErrExists, ErrVersionMismatch, ErrNotFound, ErrBadCiphertext, ErrDenied, ErrUnavailable}

// Classify is the one translation of this package's errors into a caller's
// own: classes maps sentinels of this package (ErrExists, ErrNotFound,
// ErrVersionMismatch, ErrBadCiphertext, ErrDenied, ErrUnavailable) to the
// caller's errors. The result matches, with errors.Is, both err and the
// caller's error of every sentinel err wraps; its text is err's, so no
// wording is added. nil stays nil, and an error wrapping none of the
// mapped sentinels is returned as it is.
func Classify(err error, classes map[error]error) error {
	if err == nil {
		return nil
	}
	var matched []error
	for _, s := range sentinels {
		if c, ok := classes[s]; ok && c != nil && errors.Is(err, s) {
			matched = append(matched, c)
		}
	}
	if len(matched) == 0 {
		return err
	}
	return &classified{classes: matched, err: err}
}

// classified is an error of this package that also matches a caller's
// error classes.
type classified struct {
	classes []error
	err     error
}

func (c *classified) Error() string { return c.err.Error() }

func (c *classified) Unwrap() []error { return append(append([]error{}, c.classes...), c.err) }
