package localcluster_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/diskpool/diskpool-operator/pkg/localcluster"
)

// testPodBoundToken: a kubeconfig from PodBoundKubeconfig authenticates as
// the ServiceAccount with the node, the pod and its uid in the user's
// extras, as the API server puts them in a real pod's token; written twice,
// it reuses the Pod.
func testPodBoundToken(ctx context.Context, t *testing.T, c *localcluster.Cluster) {
	if err := c.CreateNodes(ctx, "bound-node"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		path := filepath.Join(t.TempDir(), "bound.kubeconfig")
		if err := c.PodBoundKubeconfig(ctx, "bound-test", "agent", "agent-on-bound-node", "bound-node", path); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		cfg, err := clientcmd.BuildConfigFromFlags("", path)
		if err != nil {
			t.Fatal(err)
		}
		review, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("self subject review: %v", err)
		}
		u := review.Status.UserInfo
		if u.Username != "system:serviceaccount:bound-test:agent" {
			t.Errorf("username %q", u.Username)
		}
		for key, want := range map[string]string{
			"authentication.kubernetes.io/node-name": "bound-node",
			"authentication.kubernetes.io/pod-name":  "agent-on-bound-node",
		} {
			if got := u.Extra[key]; !slices.Equal(got, []string{want}) {
				t.Errorf("extra %s = %v, want [%s]", key, got, want)
			}
		}
	}
}
