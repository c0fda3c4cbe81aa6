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
	if err := ensureNamespace(ctx, cs, namespace); err != nil {
		return fmt.Errorf("service account %s: %w", ref, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	_, err := cs.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create service account %s: %w", ref, err)
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
