package localcluster

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ServiceAccountTokenTTL is the requested lifetime of ServiceAccount tokens:
// longer than any test or demo run.
const ServiceAccountTokenTTL int64 = 24 * 60 * 60

// ServiceAccountKubeconfig writes to path a kubeconfig that authenticates as
// the ServiceAccount namespace/name, creating the namespace and the
// ServiceAccount if missing. The token comes from the TokenRequest API, so a
// process using the file has exactly the RBAC bound to that ServiceAccount.
func (c *Cluster) ServiceAccountKubeconfig(ctx context.Context, namespace, name, path string) error {
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("service account kubeconfig: %w", err)
	}
	return WriteServiceAccountKubeconfig(ctx, cs, c.APIServerURL(), c.CACertPEM(), namespace, name, path)
}

// WriteServiceAccountKubeconfig is ServiceAccountKubeconfig for any cluster:
// cs must be allowed to create namespaces, ServiceAccounts and tokens, server
// and caPEM are written to the kubeconfig.
func WriteServiceAccountKubeconfig(ctx context.Context, cs kubernetes.Interface, server string, caPEM []byte, namespace, name, path string) error {
	ref := namespace + "/" + name
	if err := ensureServiceAccount(ctx, cs, namespace, name); err != nil {
		return err
	}
	ttl := ServiceAccountTokenTTL
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &ttl},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("request token for service account %s: %w", ref, err)
	}
	return writeKubeconfig(path, server, caPEM, &clientcmdapi.AuthInfo{Token: tr.Status.Token}, namespace)
}

func ensureNamespace(ctx context.Context, cs kubernetes.Interface, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// PodBoundKubeconfig is WritePodBoundKubeconfig as the admin user.
func (c *Cluster) PodBoundKubeconfig(ctx context.Context, namespace, name, pod, node, path string) error {
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("pod-bound kubeconfig: %w", err)
	}
	return WritePodBoundKubeconfig(ctx, cs, c.APIServerURL(), c.CACertPEM(), namespace, name, pod, node, path)
}

// WritePodBoundKubeconfig writes to path a kubeconfig whose token is bound to
// a Pod object named pod on node, running as the ServiceAccount
// namespace/name (created, with its namespace, if missing). No kubelet runs
// the Pod: it exists so the token is pod-bound, which makes the API server
// add the node's name to the token's user (the
// authentication.kubernetes.io/node-name extra), as for a process in a real
// pod on that node. The token stops working when the Pod is deleted.
func WritePodBoundKubeconfig(ctx context.Context, cs kubernetes.Interface, server string, caPEM []byte, namespace, name, pod, node, path string) error {
	ref := namespace + "/" + name
	if err := ensureServiceAccount(ctx, cs, namespace, name); err != nil {
		return err
	}
	p, err := ensureNodePod(ctx, cs, namespace, pod, name, node)
	if err != nil {
		return fmt.Errorf("pod-bound token for %s: %w", ref, err)
	}
	ttl := ServiceAccountTokenTTL
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{
			ExpirationSeconds: &ttl,
			BoundObjectRef:    &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: p.Name, UID: p.UID},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("request token for service account %s bound to pod %s: %w", ref, pod, err)
	}
	return writeKubeconfig(path, server, caPEM, &clientcmdapi.AuthInfo{Token: tr.Status.Token}, namespace)
}

func ensureServiceAccount(ctx context.Context, cs kubernetes.Interface, namespace, name string) error {
	ref := namespace + "/" + name
	if err := ensureNamespace(ctx, cs, namespace); err != nil {
		return fmt.Errorf("service account %s: %w", ref, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	_, err := cs.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create service account %s: %w", ref, err)
	}
	return nil
}

// ensureNodePod returns the Pod namespace/name, creating it assigned to node
// (spec.nodeName set, so no scheduler is involved) if it does not exist.
func ensureNodePod(ctx context.Context, cs kubernetes.Interface, namespace, name, serviceAccount, node string) (*corev1.Pod, error) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: corev1.PodSpec{
			ServiceAccountName: serviceAccount,
			NodeName:           node,
			// Never pulled: no kubelet runs here.
			Containers: []corev1.Container{{Name: "main", Image: "localcluster.invalid/none"}},
		},
	}
	created, err := cs.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{FieldManager: FieldManager})
	if apierrors.IsAlreadyExists(err) {
		return cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	}
	if err != nil {
		return nil, fmt.Errorf("create pod %s/%s on node %s: %w", namespace, name, node, err)
	}
	return created, nil
}
