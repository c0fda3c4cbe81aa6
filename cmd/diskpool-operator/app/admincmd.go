package app

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// adminConnection holds the flags with which an admin subcommand
// (migrate-mayastorpools, recover) reaches the cluster: it runs with the
// admin's credentials, not the operator's.
type adminConnection struct {
	Kubeconfig string
	Context    string
}

func (c *adminConnection) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Kubeconfig, "kubeconfig", c.Kubeconfig, "Path to the kubeconfig of the admin. Empty: $KUBECONFIG or ~/.kube/config (the in-cluster config as a last resort).")
	fs.StringVar(&c.Context, "context", c.Context, "Kubeconfig context to use. Empty: the current context.")
}

// restConfig loads the admin's client configuration. client-go's 5 QPS
// would throttle the subcommands' waits (and turn their timeouts into rate
// limiter errors): a few dozen reads a second is nothing for an API server.
func (c *adminConnection) restConfig(command string) (*rest.Config, error) {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: c.Kubeconfig, Precedence: clientcmd.NewDefaultClientConfigLoadingRules().Precedence},
		&clientcmd.ConfigOverrides{CurrentContext: c.Context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes client config: %w", err)
	}
	cfg.UserAgent = "diskpool-operator-" + command + "/" + version
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}

// parseAdminFlags parses an admin subcommand's args into fs, printing usage
// and its flags for --help, and validates them. It returns false and the
// exit status when the subcommand must not run.
func parseAdminFlags(command, usage string, fs *pflag.FlagSet, args []string, stderr io.Writer, validate func() error) (int, bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return MigrateExitOK, false
		}
		return MigrateExitUsage, false
	}
	if fs.NArg() > 0 {
		_, _ = fmt.Fprintf(stderr, "%s: unexpected arguments %q\n", command, fs.Args())
		return MigrateExitUsage, false
	}
	if err := validate(); err != nil {
		_, _ = fmt.Fprintf(stderr, "%s: invalid flags:\n%v\n", command, err)
		return MigrateExitUsage, false
	}
	return 0, true
}
