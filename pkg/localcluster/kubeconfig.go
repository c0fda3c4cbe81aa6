package localcluster

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfigContext is the name of the cluster, user and context in the
// kubeconfig files written here.
const kubeconfigContext = "localcluster"

// writeKubeconfig writes a self-contained kubeconfig (certificates embedded)
// for server, trusting caPEM and authenticating as user, with namespace as
// the default namespace (empty means "default").
func writeKubeconfig(path, server string, caPEM []byte, user *clientcmdapi.AuthInfo, namespace string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[kubeconfigContext] = &clientcmdapi.Cluster{
		Server:                   server,
		CertificateAuthorityData: caPEM,
	}
	cfg.AuthInfos[kubeconfigContext] = user
	cfg.Contexts[kubeconfigContext] = &clientcmdapi.Context{
		Cluster:   kubeconfigContext,
		AuthInfo:  kubeconfigContext,
		Namespace: namespace,
	}
	cfg.CurrentContext = kubeconfigContext
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}
