package badinput

import (
	"context"
	"crypto/tls"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	agentv1 "github.com/diskpool/diskpool-operator/generated/proto/diskpool/agent/v1"
	"github.com/diskpool/diskpool-operator/pkg/agent/transport/transporttest"
	"github.com/diskpool/diskpool-operator/pkg/localcluster"
	"github.com/diskpool/diskpool-operator/pkg/localenv"
	"github.com/diskpool/diskpool-operator/test/internal/harness"
)

// TestServiceAccountIdentities checks that the operator and every agent
// run with the kubeconfig of their ServiceAccount (their command lines),
// that the API server authenticates those kubeconfigs as exactly those
// ServiceAccounts (SelfSubjectReview), and a few things each must not be
// able to do (SelfSubjectAccessReview); test/manifests/dryrun lists the
// full effective permissions.
func TestServiceAccountIdentities(t *testing.T) {
	f := setup(t)
	procs := map[string]*localcluster.Process{"operator": env.Operator()}
	for _, n := range env.Nodes() {
		procs["agent "+n] = env.Agent(n)
	}
	kubeconfigs := map[string]string{"operator": env.OperatorKubeconfig()}
	for _, n := range env.Nodes() {
		kubeconfigs["agent "+n] = env.AgentKubeconfig(n)
	}
	for name, p := range procs {
		kc := kubeconfigs[name]
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID()) + "/cmdline")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(cmdline), "--kubeconfig="+kc+"\x00") {
			t.Errorf("%s (pid %d) does not run with %s: %q", name, p.PID(), kc, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}

	for _, tc := range []struct {
		who, kubeconfig, user string
		// denied are verb/group/resource/namespace the identity must not have.
		denied []authorizationv1.ResourceAttributes
	}{
		{"operator", env.OperatorKubeconfig(), "system:serviceaccount:" + localenv.SystemNamespace + ":" + localenv.OperatorServiceAccount,
			[]authorizationv1.ResourceAttributes{
				{Verb: "get", Resource: "secrets", Namespace: localenv.SystemNamespace},
				{Verb: "create", Group: "openebs.io", Resource: "diskpools", Namespace: f.NS},
				{Verb: "delete", Group: "openebs.io", Resource: "diskpools", Namespace: f.NS},
				{Verb: "update", Resource: "nodes"},
				{Verb: "create", Resource: "events", Namespace: f.NS},
				{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: "default"},
				{Verb: "delete", Group: "coordination.k8s.io", Resource: "leases", Namespace: localenv.SystemNamespace},
			}},
		{"agent", env.AgentKubeconfig(env.Nodes()[0]), "system:serviceaccount:" + localenv.SystemNamespace + ":" + localenv.AgentServiceAccount,
			[]authorizationv1.ResourceAttributes{
				{Verb: "list", Group: "openebs.io", Resource: "diskpools"},
				{Verb: "get", Resource: "nodes"},
				{Verb: "get", Resource: "secrets", Namespace: localenv.SystemNamespace},
				{Verb: "list", Group: "coordination.k8s.io", Resource: "leases", Namespace: localenv.SystemNamespace},
				{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: "default"},
			}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			cfg, err := clientcmd.BuildConfigFromFlags("", tc.kubeconfig)
			if err != nil {
				t.Fatal(err)
			}
			kube, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ssr, err := kube.AuthenticationV1().SelfSubjectReviews().Create(f.Ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := ssr.Status.UserInfo.Username; got != tc.user {
				t.Errorf("%s is %q, want %q", tc.kubeconfig, got, tc.user)
			}
			for _, ra := range tc.denied {
				sar, err := kube.AuthorizationV1().SelfSubjectAccessReviews().Create(f.Ctx, &authorizationv1.SelfSubjectAccessReview{
					Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &ra}}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if sar.Status.Allowed {
					t.Errorf("%s may %s %s.%s in %q", tc.who, ra.Verb, ra.Resource, ra.Group, ra.Namespace)
				}
			}
		})
	}
}

// TestAgentRejectsClientsWithoutValidCertificate calls a running agent
// without a client certificate, with one from another CA, and in plaintext:
// every call fails at the handshake, and a CreatePool so sent writes
// nothing. The same call with a certificate from the agents' CA works.
func TestAgentRejectsClientsWithoutValidCertificate(t *testing.T) {
	f := setup(t)
	const node = "node-a"
	disk := f.NewDisk(node)
	hash := harness.FileHash(t, disk)
	valid, err := env.AgentClientTLS().ClientTLSConfig(localenv.AgentTLSServerName)
	if err != nil {
		t.Fatal(err)
	}
	rogueCA := transporttest.NewCA(t, "rogue CA")
	rogue := valid.Clone()
	rogue.Certificates = []tls.Certificate{rogueCA.Client(t, "diskpool-operator").TLS(t)}
	noCert := valid.Clone()
	noCert.Certificates = nil
	// Signed by the rogue CA, the server certificate would not verify
	// either: a client trusting only the rogue CA never gets to talk.
	rogueTrust := rogue.Clone()
	rogueTrust.RootCAs = rogueCA.Pool()

	name := harness.UniqueName("rogue")
	for _, tc := range []struct {
		name  string
		creds credentials.TransportCredentials
	}{
		{"no client certificate", credentials.NewTLS(noCert)},
		{"client certificate from another CA", credentials.NewTLS(rogue)},
		{"plaintext", insecure.NewCredentials()},
		{"client trusting another CA", credentials.NewTLS(rogueTrust)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := grpc.NewClient(env.AgentEndpoint(node), grpc.WithTransportCredentials(tc.creds))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = conn.Close() }()
			c := agentv1.NewPoolServiceClient(conn)
			ctx, cancel := context.WithTimeout(f.Ctx, 10*time.Second)
			defer cancel()
			if _, err := c.ListPools(ctx, &agentv1.ListPoolsRequest{}); err == nil {
				t.Error("ListPools succeeded")
			} else {
				t.Logf("ListPools: %v", err)
			}
			if _, err := c.CreatePool(ctx, &agentv1.CreatePoolRequest{Name: name, OwnerUid: "rogue", Disks: []string{disk}}); err == nil {
				t.Error("CreatePool succeeded")
			}
		})
	}
	f.noPool(name)
	if harness.FileHash(t, disk) != hash {
		t.Errorf("disk %s changed by refused clients", disk)
	}
	// The control: a certificate from the agents' CA.
	ctx, cancel := context.WithTimeout(f.Ctx, 10*time.Second)
	defer cancel()
	if _, err := harness.AgentClient(t, env, node).ListPools(ctx, &agentv1.ListPoolsRequest{}); err != nil {
		t.Errorf("ListPools with a valid certificate: %v", err)
	}
}
