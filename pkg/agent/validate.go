package agent

import (
	"strings"
	"unicode"

	"github.com/google/uuid"
	"k8s.io/apimachinery/pkg/util/validation"
)

const (
	maxDisks      = 16
	maxOwnerLen   = 128
	maxPoolLabels = 64
)

// validatePoolName accepts Kubernetes object names (DNS-1123 subdomains), the
// names DiskPool and MayastorPool objects have.
func validatePoolName(name string) error {
	if name == "" {
		return errInvalid("pool name is empty")
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return errInvalid("pool name %q is invalid: %s", name, strings.Join(errs, "; "))
	}
	return nil
}

func validateOwner(field, owner string, required bool) error {
	if owner == "" {
		if required {
			return errInvalid("%s is empty; it must be the UID of the owning object", field)
		}
		return nil
	}
	if len(owner) > maxOwnerLen {
		return errInvalid("%s is %d characters, at most %d", field, len(owner), maxOwnerLen)
	}
	for _, r := range owner {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return errInvalid("%s %q contains a space or an unprintable character", field, owner)
		}
	}
	return nil
}

func validateLabels(labels map[string]string) error {
	if len(labels) > maxPoolLabels {
		return errInvalid("%d pool labels, at most %d", len(labels), maxPoolLabels)
	}
	for k, v := range labels {
		if errs := validation.IsQualifiedName(k); len(errs) > 0 {
			return errInvalid("pool label key %q is invalid: %s", k, strings.Join(errs, "; "))
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			return errInvalid("pool label %q value %q is invalid: %s", k, v, strings.Join(errs, "; "))
		}
	}
	return nil
}

func validateDiskList(disks []string) error {
	switch {
	case len(disks) == 0:
		return errInvalid("no disks given")
	case len(disks) > maxDisks:
		return errInvalid("%d disks given, at most %d", len(disks), maxDisks)
	}
	seen := map[string]bool{}
	for _, d := range disks {
		if seen[d] {
			return errInvalid("disk %s is listed twice", d)
		}
		seen[d] = true
	}
	return nil
}

func validateReplicaUUID(u string) error {
	if _, err := uuid.Parse(u); err != nil {
		return errInvalid("replica uuid %q is not a UUID", u)
	}
	return nil
}

// validateOwnerIdentity checks the optional kind, namespace and name of the
// owning object as Kubernetes spells them.
func validateOwnerIdentity(kind, namespace, name string) error {
	if kind != "" {
		if errs := validation.IsDNS1035Label(strings.ToLower(kind)); len(errs) > 0 {
			return errInvalid("owner_kind %q is invalid: %s", kind, strings.Join(errs, "; "))
		}
	}
	if namespace != "" {
		if errs := validation.IsDNS1123Label(namespace); len(errs) > 0 {
			return errInvalid("owner_namespace %q is invalid: %s", namespace, strings.Join(errs, "; "))
		}
	}
	if name != "" {
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			return errInvalid("owner_name %q is invalid: %s", name, strings.Join(errs, "; "))
		}
	}
	return nil
}
