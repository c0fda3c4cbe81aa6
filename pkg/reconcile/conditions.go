package reconcile

import (
	"slices"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1beta3 "github.com/diskpool/diskpool-operator/pkg/apis/openebs.io/v1beta3"
)

type condition struct {
	status  metav1.ConditionStatus
	reason  string
	message string
}

// setReady sets the Ready condition in st. lastTransitionTime moves only
// when the condition's status changes.
func (d decider) setReady(st *v1beta3.DiskPoolStatus, c condition) {
	next := metav1.Condition{
		Type:               v1beta3.ConditionReady,
		Status:             c.status,
		Reason:             c.reason,
		Message:            truncateMessage(c.message),
		ObservedGeneration: d.obj.Generation,
		// The API stores seconds; keeping sub-second precision here would
		// make the stored and the desired condition differ forever.
		LastTransitionTime: metav1.NewTime(d.obs.Now).Rfc3339Copy(),
	}
	conds := slices.Clone(st.Conditions)
	if prev := meta.FindStatusCondition(conds, v1beta3.ConditionReady); prev != nil {
		if prev.Status == next.Status {
			next.LastTransitionTime = prev.LastTransitionTime
		}
		*prev = next
	} else {
		conds = append(conds, next)
	}
	st.Conditions = conds
}

// maxMessage keeps condition messages within metav1.Condition's limit.
const maxMessage = 32768

func truncateMessage(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return s[:maxMessage-3] + "..."
}

func readyReason(st v1beta3.DiskPoolStatus) string {
	if c := meta.FindStatusCondition(st.Conditions, v1beta3.ConditionReady); c != nil {
		return c.Reason
	}
	return ""
}

// statusEqual compares statuses the way the API server stores them (nil
// and empty lists are the same).
func statusEqual(a, b v1beta3.DiskPoolStatus) bool {
	return apiequality.Semantic.DeepEqual(a, b)
}
