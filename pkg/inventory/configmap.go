package inventory

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Where a node's report lives: ConfigMap ConfigMapName(node) in the
// operator namespace, labelled ComponentLabel=ComponentValue, with the node
// in NodeAnnotation and the report in DisksKey and OrphansKey (JSON).
const (
	ComponentLabel = "app.kubernetes.io/component"
	ComponentValue = "disk-inventory"
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "diskpool-operator"
	NodeAnnotation = "openebs.io/node"
	DisksKey       = "disks.json"
	OrphansKey     = "orphans.json"

	namePrefix = "diskpool-node-"
)

// ConfigMapName is the name of node's report: the prefix and the node name,
// or, when that is too long for an object name, a prefix of it and a hash.
func ConfigMapName(node string) string {
	name := namePrefix + node
	if len(name) <= validation.DNS1123SubdomainMaxLength {
		return name
	}
	sum := sha256.Sum256([]byte(node))
	h := hex.EncodeToString(sum[:8])
	return name[:validation.DNS1123SubdomainMaxLength-len(h)-1] + "-" + h
}

// Selector selects every report ConfigMap.
func Selector() string { return ComponentLabel + "=" + ComponentValue }

// Data encodes r as ConfigMap data. The encoding is deterministic, so equal
// reports give equal data and an unchanged report is never written.
func Data(r Report) (map[string]string, error) {
	disks, err := json.MarshalIndent(r.Disks, "", "  ")
	if err != nil {
		return nil, err
	}
	orphans, err := json.MarshalIndent(r.Orphans, "", "  ")
	if err != nil {
		return nil, err
	}
	return map[string]string{DisksKey: string(disks) + "\n", OrphansKey: string(orphans) + "\n"}, nil
}

// NewConfigMap returns the ConfigMap holding r in namespace.
func NewConfigMap(namespace string, r Report) (*corev1.ConfigMap, error) {
	data, err := Data(r)
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{
			Name:        ConfigMapName(r.Node),
			Namespace:   namespace,
			Labels:      map[string]string{ComponentLabel: ComponentValue, ManagedByLabel: ManagedByValue},
			Annotations: map[string]string{NodeAnnotation: r.Node},
		},
		Data: data,
	}, nil
}

// Decode reads a report back from its ConfigMap.
func Decode(cm *corev1.ConfigMap) (Report, error) {
	r := Report{Node: cm.Annotations[NodeAnnotation]}
	if r.Node == "" {
		return r, fmt.Errorf("configmap %s/%s has no %s annotation", cm.Namespace, cm.Name, NodeAnnotation)
	}
	if err := json.Unmarshal([]byte(cm.Data[DisksKey]), &r.Disks); err != nil {
		return r, fmt.Errorf("configmap %s/%s key %s: %w", cm.Namespace, cm.Name, DisksKey, err)
	}
	if err := json.Unmarshal([]byte(cm.Data[OrphansKey]), &r.Orphans); err != nil {
		return r, fmt.Errorf("configmap %s/%s key %s: %w", cm.Namespace, cm.Name, OrphansKey, err)
	}
	return r, nil
}

// upToDate reports whether have already holds want (data, labels and the
// node annotation), so no write is needed.
func upToDate(have, want *corev1.ConfigMap) bool {
	return maps.Equal(have.Data, want.Data) &&
		have.Labels[ComponentLabel] == ComponentValue && have.Labels[ManagedByLabel] == ManagedByValue &&
		have.Annotations[NodeAnnotation] == want.Annotations[NodeAnnotation]
}

var (
	createOpts = metav1.CreateOptions{FieldManager: FieldManager}
	updateOpts = metav1.UpdateOptions{FieldManager: FieldManager}
)
