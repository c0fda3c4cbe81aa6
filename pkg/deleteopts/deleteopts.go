// Package deleteopts parses the openebs.io/delete-opts annotation in
// Mayastor's syntax: a comma-separated list of key[=value], where a bare
// key means key=true, values are true or false, and a later key wins over
// an earlier one. It is pure: no I/O, no clock.
package deleteopts

import (
	"errors"
	"fmt"
	"strings"
)

// The keys Mayastor defines.
const (
	KeyPurge              = "purge"
	KeyAccept             = "accept"
	KeyAcceptVolumeLoss   = "accept-volume-loss"
	KeyAcceptSnapshotLoss = "accept-snapshot-loss"
	// KeyAcceptDataLoss sets accept-volume-loss and accept-snapshot-loss.
	KeyAcceptDataLoss = "accept-data-loss"
	// KeyPurgeAcceptAll sets purge, accept and both losses.
	KeyPurgeAcceptAll = "purge-accept-all"
)

// Keys lists the valid keys, for messages.
const Keys = "purge, accept, accept-volume-loss, accept-snapshot-loss, accept-data-loss, purge-accept-all"

// ErrMalformed is wrapped by every parse error, so callers can branch.
var ErrMalformed = errors.New("malformed delete options")

// Options are the parsed delete options; the zero value is a normal delete.
type Options struct {
	// Purge lets the object go without contacting its node.
	Purge bool
	// Accept confirms a purge of a pool that holds replicas.
	Accept bool
	// AcceptVolumeLoss confirms that a purge may lose volume data.
	AcceptVolumeLoss bool
	// AcceptSnapshotLoss confirms that a purge may lose snapshot data.
	AcceptSnapshotLoss bool
}

// Parse parses an annotation value. An empty value (or only commas and
// spaces) is a normal delete. Keys and values are case-sensitive, as in
// Mayastor; spaces around them are ignored.
func Parse(value string) (Options, error) {
	var o Options
	for _, token := range strings.Split(value, ",") {
		token = strings.TrimSpace(token)
		if token == "" {
			continue
		}
		key, raw, hasValue := strings.Cut(token, "=")
		key = strings.TrimSpace(key)
		on := true
		if hasValue {
			switch v := strings.TrimSpace(raw); v {
			case "true":
			case "false":
				on = false
			default:
				return Options{}, fmt.Errorf("%w: invalid value %q for key %q: want true or false", ErrMalformed, v, key)
			}
		}
		switch key {
		case KeyPurge:
			o.Purge = on
		case KeyAccept:
			o.Accept = on
		case KeyAcceptVolumeLoss:
			o.AcceptVolumeLoss = on
		case KeyAcceptSnapshotLoss:
			o.AcceptSnapshotLoss = on
		case KeyAcceptDataLoss:
			o.AcceptVolumeLoss, o.AcceptSnapshotLoss = on, on
		case KeyPurgeAcceptAll:
			o = Options{Purge: on, Accept: on, AcceptVolumeLoss: on, AcceptSnapshotLoss: on}
		default:
			return Options{}, fmt.Errorf("%w: unknown key %q (valid keys: %s)", ErrMalformed, key, Keys)
		}
	}
	return o, nil
}
