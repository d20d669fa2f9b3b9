// Command admin-export asks privacyd for a copy of one subject's personal data and downloads
// the archive: what an operator does for a subject whose identity they have already checked.
//
//	PRIVACYD_ADMIN_TOKEN=... admin-export [--out DIR] jane@example.com
//
// It creates an export request (already confirmed: send_confirmation=false), starts
// processing it unless privacyd already has (--auto-process), follows it with
// WatchPrivacyRequest, and when it completes downloads the archive with DownloadExport,
// checks its size and SHA-256, and prints
//
//	archive <path> <size> bytes sha256 <hex>
//
// It exits 1 if the request ends FAILED, DENIED, CANCELLED or EXPIRED. PRIVACYD_ADDR is
// privacyd's address (default 127.0.0.1:50051). PRIVACYD_CA_FILE, when set, is a PEM file of
// the CA(s) that issued privacyd's certificate: the example then connects over TLS (privacyd
// started with --tls-cert) and checks the certificate against them; without it, plaintext.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	privacyv1 "github.com/privacyd/privacyd/clients/go/privacy/v1"
)

// callTimeout bounds each unary call. The watch and the download have none of their own: an
// export may take long, and Ctrl-C cancels them.
const callTimeout = 30 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "admin-export:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	flags := flag.NewFlagSet("admin-export", flag.ContinueOnError)
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "usage: admin-export [--out DIR] EMAIL\n\n"+
			"environment: PRIVACYD_ADMIN_TOKEN (required), PRIVACYD_ADDR (default 127.0.0.1:50051),\n"+
			"PRIVACYD_CA_FILE (PEM CA of privacyd's TLS certificate; plaintext without it)")
		flags.PrintDefaults()
	}
	outDir := flags.String("out", ".", "`folder` to write the archive to")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		flags.Usage()
		return errors.New("expected one argument, the subject's email address")
	}
	email := flags.Arg(0)
	token := getenv("PRIVACYD_ADMIN_TOKEN")
	if token == "" {
		return errors.New("PRIVACYD_ADMIN_TOKEN is not set")
	}
	addr := getenv("PRIVACYD_ADDR")
	if addr == "" {
		addr = "127.0.0.1:50051"
	}

	var err error
	transport := insecure.NewCredentials()
	if caFile := getenv("PRIVACYD_CA_FILE"); caFile != "" {
		// The server name checked against the certificate is PRIVACYD_ADDR's host.
		transport, err = credentials.NewClientTLSFromFile(caFile, "")
		if err != nil {
			return fmt.Errorf("PRIVACYD_CA_FILE: %w", err)
		}
	}
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(transport),
		grpc.WithPerRPCCredentials(bearerToken(token)),
	)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	defer conn.Close()
	client := privacyv1.NewPrivacyRequestServiceClient(conn)

	req, err := create(ctx, client, email)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created request %s (%s)\n", req.GetId(), stateName(req.GetState()))
	if err := process(ctx, client, req); err != nil {
		return err
	}
	if err := watch(ctx, client, req.GetId(), stdout); err != nil {
		return err
	}
	path, size, sum, err := download(ctx, client, req.GetId(), *outDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "archive %s %d bytes sha256 %s\n", path, size, sum)
	return nil
}

// bearerToken sends the admin token on every call.
type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

// RequireTransportSecurity is false so that the example works against a privacyd on
// loopback without TLS. Across a network, set PRIVACYD_CA_FILE (TLS) and return true here,
// or the token travels in clear.
func (bearerToken) RequireTransportSecurity() bool { return false }

// create makes the export request. Its request_id makes the call idempotent, which is what
// makes retrying it after UNAVAILABLE safe: a retry returns the request the first attempt
// created rather than a second one.
func create(ctx context.Context, client privacyv1.PrivacyRequestServiceClient, email string) (*privacyv1.PrivacyRequest, error) {
	in := &privacyv1.CreatePrivacyRequestRequest{
		Subject:          &privacyv1.Subject{Email: email},
		Action:           privacyv1.Action_ACTION_EXPORT,
		SendConfirmation: false, // the operator has verified the subject
		RequestId:        uuid.NewString(),
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		callCtx, cancel := context.WithTimeout(ctx, callTimeout)
		resp, err := client.CreatePrivacyRequest(callCtx, in)
		cancel()
		if err == nil {
			return resp.GetPrivacyRequest(), nil
		}
		if info := errorInfo(err); info.GetReason() == "DUPLICATE_REQUEST" {
			return nil, fmt.Errorf("the subject already has an unfinished export request, %s", info.GetMetadata()["existing_id"])
		}
		if status.Code(err) != codes.Unavailable || attempt == attempts {
			return nil, fmt.Errorf("create request: %w", err)
		}
		select {
		case <-time.After(time.Duration(attempt) * time.Second):
		case <-ctx.Done():
			return nil, fmt.Errorf("create request: %w", ctx.Err())
		}
	}
}

// process starts the request unless privacyd already has: with --auto-process it starts as
// soon as the request is confirmed, which may be before or after our call arrives.
func process(ctx context.Context, client privacyv1.PrivacyRequestServiceClient, req *privacyv1.PrivacyRequest) error {
	switch req.GetState() {
	case privacyv1.State_STATE_CONFIRMED, privacyv1.State_STATE_FAILED:
	default:
		return nil // PROCESSING or beyond: nothing to start
	}
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	_, err := client.ProcessPrivacyRequest(callCtx, &privacyv1.ProcessPrivacyRequestRequest{Id: req.GetId()})
	if info := errorInfo(err); info.GetReason() == "ILLEGAL_TRANSITION" {
		switch info.GetMetadata()["state"] {
		case privacyv1.State_STATE_PROCESSING.String(), privacyv1.State_STATE_COMPLETED.String():
			return nil // privacyd got there first
		}
	}
	if err != nil {
		return fmt.Errorf("process request %s: %w", req.GetId(), err)
	}
	return nil
}

// watch follows the request until it completes, printing a line whenever its state or a
// source's progress changes. A request that fails or ends otherwise is an error.
func watch(ctx context.Context, client privacyv1.PrivacyRequestServiceClient, id string, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream when we stop early (FAILED is not final, so it would go on)
	stream, err := client.WatchPrivacyRequest(ctx, &privacyv1.WatchPrivacyRequestRequest{Id: id})
	if err != nil {
		return fmt.Errorf("watch request %s: %w", id, err)
	}
	last := ""
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("request %s: the watch ended before the request completed", id)
		}
		if err != nil {
			return fmt.Errorf("watch request %s: %w", id, err)
		}
		req := msg.GetPrivacyRequest()
		if req == nil {
			return fmt.Errorf("request %s was deleted while being watched", id)
		}
		if line := progressLine(req); line != last {
			fmt.Fprintln(stdout, line)
			last = line
		}
		switch req.GetState() {
		case privacyv1.State_STATE_COMPLETED:
			return nil
		case privacyv1.State_STATE_FAILED, privacyv1.State_STATE_DENIED,
			privacyv1.State_STATE_CANCELLED, privacyv1.State_STATE_EXPIRED:
			return fmt.Errorf("request %s ended %s: %s", id, stateName(req.GetState()), req.GetStateReason())
		}
	}
}

// progressLine says where the request and each of its sources stand, e.g.
// "PROCESSING  go-shop: RUNNING, 3 items; billing: PENDING, 0 items".
func progressLine(req *privacyv1.PrivacyRequest) string {
	sources := make([]string, 0, len(req.GetSources()))
	for _, s := range req.GetSources() {
		sources = append(sources, fmt.Sprintf("%s: %s, %d items", s.GetSourceName(),
			strings.TrimPrefix(s.GetState().String(), "SOURCE_STATE_"), s.GetItems()))
	}
	if len(sources) == 0 {
		return stateName(req.GetState())
	}
	return stateName(req.GetState()) + "  " + strings.Join(sources, "; ")
}

// download streams the archive into dir, checking it against the header's size and SHA-256
// before giving it its name, so a file with the archive's name is always a whole archive.
func download(ctx context.Context, client privacyv1.PrivacyRequestServiceClient, id, dir string) (path string, size int64, sum string, err error) {
	stream, err := client.DownloadExport(ctx, &privacyv1.DownloadExportRequest{Id: id})
	if err != nil {
		return "", 0, "", fmt.Errorf("download archive: %w", err)
	}
	first, err := stream.Recv()
	if err != nil {
		return "", 0, "", fmt.Errorf("download archive: %w", err)
	}
	header := first.GetHeader()
	if header == nil {
		return "", 0, "", errors.New("download archive: the first message is not a header")
	}
	// The name comes from the server: keep only its last element, so it cannot point
	// outside dir.
	name := filepath.Base(header.GetFileName())
	if name == "." || name == ".." || name == string(filepath.Separator) {
		name = "privacy-export-" + id + ".zip"
	}

	// CreateTemp makes the file readable by its owner only (0600): it holds personal data.
	part, err := os.CreateTemp(dir, "."+name+".part-*")
	if err != nil {
		return "", 0, "", fmt.Errorf("download archive: %w", err)
	}
	defer func() {
		if err != nil {
			part.Close()
			os.Remove(part.Name())
		}
	}()
	hash := sha256.New()
	out := io.MultiWriter(part, hash)
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", 0, "", fmt.Errorf("download archive: %w", err)
		}
		chunk := msg.GetChunk()
		if size+int64(len(chunk)) > header.GetSizeBytes() {
			return "", 0, "", fmt.Errorf("download archive: more than the %d bytes announced", header.GetSizeBytes())
		}
		if _, err := out.Write(chunk); err != nil {
			return "", 0, "", fmt.Errorf("write archive: %w", err)
		}
		size += int64(len(chunk))
	}
	sum = hex.EncodeToString(hash.Sum(nil))
	if size != header.GetSizeBytes() {
		return "", 0, "", fmt.Errorf("download archive: got %d bytes, the header announced %d", size, header.GetSizeBytes())
	}
	if sum != header.GetSha256() {
		return "", 0, "", fmt.Errorf("download archive: SHA-256 %s, the header announced %s", sum, header.GetSha256())
	}
	if err := part.Sync(); err != nil {
		return "", 0, "", fmt.Errorf("write archive: %w", err)
	}
	if err := part.Close(); err != nil {
		return "", 0, "", fmt.Errorf("write archive: %w", err)
	}
	path = filepath.Join(dir, name)
	if err := os.Rename(part.Name(), path); err != nil {
		return "", 0, "", fmt.Errorf("write archive: %w", err)
	}
	return path, size, sum, nil
}

// errorInfo returns privacyd's ErrorInfo from an error's details, or nil. Its reason is
// stable, so programs switch on it rather than on messages.
func errorInfo(err error) *errdetails.ErrorInfo {
	if err == nil {
		return nil
	}
	for _, detail := range status.Convert(err).Details() {
		if info, ok := detail.(*errdetails.ErrorInfo); ok && info.GetDomain() == "privacyd" {
			return info
		}
	}
	return nil
}

func stateName(s privacyv1.State) string {
	return strings.TrimPrefix(s.String(), "STATE_")
}
