package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/diskpool/diskpool-operator/pkg/localenv"
)

func downCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	envFile := fs.String("env-file", "", "Environment file written by up (default <repo>/"+DefaultEnvFile+").")
	grace := fs.Duration("grace", 15*time.Second, "How long each process may take to stop after SIGTERM before SIGKILL.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := defaultPath(envFile, DefaultEnvFile); err != nil {
		return err
	}
	state, err := localenv.ReadEnvFile(*envFile)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Printf("No %s: nothing to take down.\n", *envFile)
		return nil
	}
	if err != nil {
		return err
	}
	// Ctrl-C must not leave half of it running: stop regardless.
	stopCtx := context.WithoutCancel(ctx)
	if err := localenv.StopState(stopCtx, state, *grace, os.Stdout); err != nil {
		return fmt.Errorf("%w (%s kept)", err, *envFile)
	}
	if err := os.Remove(*envFile); err != nil {
		return err
	}
	fmt.Printf("Removed %s, %s and %s.\n", state.DiskRoot, state.WorkDir, *envFile)
	return nil
}
