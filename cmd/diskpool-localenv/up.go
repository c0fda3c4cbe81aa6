package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

// Paths of `up` and `down`, relative to the repository root (.local is
// git-ignored).
const (
	DefaultEnvFile = ".local/env"
	DefaultWorkDir = ".local/work"
)

func upCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	var ef envFlags
	ef.register(fs)
	envFile := fs.String("env-file", "", "File to write the environment to (default <repo>/"+DefaultEnvFile+").")
	workDir := fs.String("work-dir", "", "Work directory: data, logs, kubeconfigs, disks (default <repo>/"+DefaultWorkDir+"); must not exist.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := defaultPath(envFile, DefaultEnvFile); err != nil {
		return err
	}
	if err := defaultPath(workDir, DefaultWorkDir); err != nil {
		return err
	}
	if _, err := os.Stat(*envFile); err == nil {
		return fmt.Errorf("%s exists: an environment is up already (make down stops it)", *envFile)
	}
	if _, err := os.Stat(*workDir); err == nil {
		return fmt.Errorf("%s exists without %s: a previous environment was not taken down; check that none of its processes runs, then remove it", *workDir, *envFile)
	}

	opts := ef.options()
	opts.WorkDir = *workDir
	opts.SurviveParent = true
	env, err := localenv.Start(ctx, opts)
	if err != nil {
		return err
	}
	state, err := env.State()
	if err == nil {
		err = state.WriteEnvFile(*envFile)
	}
	if err != nil {
		// Without the env file nothing could take it down: stop it now.
		return errors.Join(err, env.Stop())
	}
	fmt.Printf(`
The local environment runs in the background (PIDs %v).

  . %s          # exports KUBECONFIG, NAMESPACE, NODES, DISK_ROOT, PIDS, ...
  bin/kubectl -n "$NAMESPACE" get dsp
  make down              # stops exactly these processes, removes the disks

Disks: %s/<node>/disk-<i>   Logs: %s
`, pids(state), *envFile, state.DiskRoot, state.LogDir)
	return nil
}

func pids(s localenv.State) []int {
	out := make([]int, 0, len(s.Processes))
	for _, p := range s.Processes {
		out = append(out, p.PID)
	}
	return out
}

// defaultPath sets *p to <repo>/def when empty, and makes it absolute.
func defaultPath(p *string, def string) error {
	if *p == "" {
		abs, err := repoPath(def)
		if err != nil {
			return err
		}
		*p = abs
		return nil
	}
	abs, err := filepath.Abs(*p)
	if err != nil {
		return err
	}
	*p = abs
	return nil
}
