// Command reference-datasource is privacyd's reference data source in Go: a small shop's
// customer data in SQLite, served over privacyd's plugin protocol
// (privacy.datasource.v1.DataSourceService) and grpc.health.v1.
//
//	reference-datasource --listen 127.0.0.1:7002 --db shop.db --seed jane@example.com
//
// Once serving it prints one line, `listening on HOST:PORT`, to stdout; logs go to stderr.
// SIGTERM or SIGINT stops it cleanly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/privacyd/privacyd/clients/go/internal/shop"
)

// shutdownGrace is how long open calls may run after SIGTERM before they are cut off.
const shutdownGrace = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "reference-datasource:", err)
		os.Exit(1)
	}
}

// emails is a repeatable flag.
type emails []string

func (e *emails) String() string     { return strings.Join(*e, ",") }
func (e *emails) Set(v string) error { *e = append(*e, v); return nil }

// run is the whole program, with its inputs passed in so tests can drive it: it serves until
// ctx is done, then shuts down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("reference-datasource", flag.ContinueOnError)
	flags.SetOutput(stderr)
	listen := flags.String("listen", "127.0.0.1:7002", "`HOST:PORT` to serve on")
	dbPath := flags.String("db", "shop.db", "SQLite `file`, created with the schema if missing")
	name := flags.String("name", "go-shop", "the `name` Describe returns")
	token := flags.String("token", "",
		"require \"authorization: Bearer `TOKEN`\" on every call (default $REFERENCE_SOURCE_TOKEN)")
	var seeds emails
	flags.Var(&seeds, "seed", "insert a demo customer with this `email` if none exists (repeatable)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", flags.Args())
	}
	if *token == "" {
		// Read here rather than as the flag's default, which --help would print.
		*token = getenv("REFERENCE_SOURCE_TOKEN")
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	store, err := shop.Open(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	for _, email := range seeds {
		created, err := store.Seed(ctx, email)
		if err != nil {
			return err
		}
		log.Info("seed", "created", created) // not the email: logs hold no personal data
	}

	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := shop.NewServer(store, shop.Config{Name: *name, Token: *token, Log: log})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	// The one line on stdout, with the real port (--listen may say :0), for whoever started
	// us to wait for. Writes to an *os.File are not buffered, so it is out at once.
	if _, err := fmt.Fprintf(stdout, "listening on %s\n", lis.Addr()); err != nil {
		srv.Shutdown(ctx)
		return fmt.Errorf("write listening line: %w", err)
	}
	log.Info("serving", "address", lis.Addr().String(), "name", *name, "auth", *token != "")

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	graceCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	srv.Shutdown(graceCtx)
	if err := <-served; err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}
