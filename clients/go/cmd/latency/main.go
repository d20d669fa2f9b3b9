// Command latency times unary calls from a Go gRPC client, the client whose delayed ACKs made
// every call to a server without TCP_NODELAY wait about 40 ms (issue 10, item 18).
//
//	latency -addr 127.0.0.1:50051 -calls 200 [-token-file FILE]
//
// It makes -calls sequential health checks (grpc.health.v1.Health/Check, a no-op) and, given
// an admin token, as many ListPrivacyRequests calls (page size 1), on one connection, and
// prints one JSON line per kind with the median and 99th percentile in milliseconds. The
// token is read from -token-file or PRIVACYD_ADMIN_TOKEN, never from the command line.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	privacyv1 "github.com/privacyd/privacyd/clients/go/privacy/v1"
)

// result is one printed line: what was called, how often, and how long a call took.
type result struct {
	Call  string  `json:"call"`
	Calls int     `json:"calls"`
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:50051", "the gRPC server, HOST:PORT")
	calls := flag.Int("calls", 200, "sequential calls of each kind")
	tokenFile := flag.String("token-file", "", "file holding an admin token (or set PRIVACYD_ADMIN_TOKEN); without one only health checks are timed")
	flag.Parse()
	if err := run(*addr, *calls, *tokenFile); err != nil {
		fmt.Fprintln(os.Stderr, "latency:", err)
		os.Exit(1)
	}
}

func run(addr string, calls int, tokenFile string) error {
	token := os.Getenv("PRIVACYD_ADMIN_TOKEN")
	if tokenFile != "" {
		raw, err := os.ReadFile(tokenFile)
		if err != nil {
			return err
		}
		token = strings.TrimSpace(string(raw))
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	health := healthpb.NewHealthClient(conn)
	if err := timeCalls("health", calls, func() error {
		_, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}); err != nil {
		return err
	}
	if token == "" {
		return nil
	}
	admin := privacyv1.NewPrivacyRequestServiceClient(conn)
	actx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	return timeCalls("list_privacy_requests", calls, func() error {
		_, err := admin.ListPrivacyRequests(actx, &privacyv1.ListPrivacyRequestsRequest{PageSize: 1})
		return err
	})
}

// timeCalls makes one warm-up call (it opens the connection), then n timed ones, and prints
// their median and 99th percentile.
func timeCalls(name string, n int, call func() error) error {
	if err := call(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	took := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := call(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		took = append(took, time.Since(start))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	ms := func(p float64) float64 {
		d := took[int(p*float64(len(took)-1))]
		return float64(d.Microseconds()) / 1000
	}
	line, err := json.Marshal(result{Call: name, Calls: n, P50Ms: ms(0.5), P99Ms: ms(0.99)})
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}
