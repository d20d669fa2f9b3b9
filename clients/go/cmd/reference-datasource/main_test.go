package main

import (
	"bufio"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	datasourcev1 "github.com/privacyd/privacyd/clients/go/privacy/datasource/v1"
)

// The program as its users start it: flags, the token from the environment, the one
// "listening on" line with the real port, and a clean stop when its context ends (SIGTERM).
func TestRunServesUntilStopped(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	stdout, stdoutW := io.Pipe()
	env := map[string]string{"REFERENCE_SOURCE_TOKEN": "token-from-the-environment"}
	args := []string{
		"--listen", "127.0.0.1:0",
		"--db", filepath.Join(t.TempDir(), "shop.db"),
		"--name", "test-shop",
		"--seed", "jane@example.com",
	}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, func(k string) string { return env[k] }, stdoutW, io.Discard)
		stdoutW.Close()
	}()

	lines := bufio.NewScanner(stdout)
	if !lines.Scan() {
		t.Fatalf("no line on stdout; run returned %v", <-done)
	}
	addr, ok := strings.CutPrefix(lines.Text(), "listening on ")
	if !ok || strings.HasSuffix(addr, ":0") {
		t.Fatalf("first line %q, want \"listening on HOST:PORT\" with the real port", lines.Text())
	}
	go io.Copy(io.Discard, stdout) // nothing more is expected, but never block the program

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := datasourcev1.NewDataSourceServiceClient(conn)
	callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := client.Describe(callCtx, &datasourcev1.DescribeRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("Describe without the token from REFERENCE_SOURCE_TOKEN: got %v, want UNAUTHENTICATED", err)
	}
	authed := metadata.AppendToOutgoingContext(callCtx, "authorization", "Bearer token-from-the-environment")
	resp, err := client.Describe(authed, &datasourcev1.DescribeRequest{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if resp.GetName() != "test-shop" {
		t.Errorf("Describe name = %q, want the --name flag's \"test-shop\"", resp.GetName())
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after stop: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--no-such-flag"},
		{"--db", filepath.Join(t.TempDir(), "shop.db"), "stray-argument"},
		{"--db", filepath.Join(t.TempDir(), "shop.db"), "--seed", "not-an-email"},
		{"--db", filepath.Join(t.TempDir(), "shop.db"), "--listen", "nonsense"},
	} {
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("run(%q) succeeded, want an error", args)
		}
	}
}
