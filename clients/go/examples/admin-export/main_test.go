package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	privacyv1 "github.com/privacyd/privacyd/clients/go/privacy/v1"
)

const adminToken = "admin-token-for-tests"

// fakePrivacyd plays privacyd's part of one export: the request it creates, how processing
// answers, what the watch sends, and the archive.
type fakePrivacyd struct {
	privacyv1.UnimplementedPrivacyRequestServiceServer

	createState privacyv1.State
	processErr  error
	watch       []*privacyv1.PrivacyRequest
	archive     []byte
	headerSHA   string // overrides the archive's real SHA-256 when set

	mu        sync.Mutex
	calls     []string // methods called, in order
	badAuth   []string // methods called without the admin token
	processed bool
}

func (f *fakePrivacyd) record(ctx context.Context, method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method)
	md, _ := metadata.FromIncomingContext(ctx)
	if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer "+adminToken {
		f.badAuth = append(f.badAuth, method)
	}
}

func (f *fakePrivacyd) CreatePrivacyRequest(ctx context.Context, in *privacyv1.CreatePrivacyRequestRequest) (*privacyv1.CreatePrivacyRequestResponse, error) {
	f.record(ctx, "Create")
	if in.GetAction() != privacyv1.Action_ACTION_EXPORT || in.GetSendConfirmation() || in.GetRequestId() == "" ||
		in.GetSubject().GetEmail() != "jane@example.com" {
		return nil, status.Errorf(codes.InvalidArgument, "unexpected request %v", in)
	}
	return &privacyv1.CreatePrivacyRequestResponse{PrivacyRequest: &privacyv1.PrivacyRequest{Id: "req-1", State: f.createState}}, nil
}

func (f *fakePrivacyd) ProcessPrivacyRequest(ctx context.Context, in *privacyv1.ProcessPrivacyRequestRequest) (*privacyv1.ProcessPrivacyRequestResponse, error) {
	f.record(ctx, "Process")
	f.mu.Lock()
	f.processed = true
	f.mu.Unlock()
	if f.processErr != nil {
		return nil, f.processErr
	}
	return &privacyv1.ProcessPrivacyRequestResponse{PrivacyRequest: &privacyv1.PrivacyRequest{Id: in.GetId(), State: privacyv1.State_STATE_PROCESSING}}, nil
}

func (f *fakePrivacyd) WatchPrivacyRequest(in *privacyv1.WatchPrivacyRequestRequest, stream grpc.ServerStreamingServer[privacyv1.WatchPrivacyRequestResponse]) error {
	f.record(stream.Context(), "Watch")
	for _, req := range f.watch {
		if err := stream.Send(&privacyv1.WatchPrivacyRequestResponse{PrivacyRequest: req}); err != nil {
			return err
		}
	}
	// Like privacyd after FAILED (not final): keep the stream open until the client leaves.
	<-stream.Context().Done()
	return nil
}

func (f *fakePrivacyd) DownloadExport(in *privacyv1.DownloadExportRequest, stream grpc.ServerStreamingServer[privacyv1.DownloadExportResponse]) error {
	f.record(stream.Context(), "Download")
	sum := sha256.Sum256(f.archive)
	header := &privacyv1.ExportArchiveHeader{
		FileName:  "../privacy-export-req-1.zip", // a hostile name: must not escape --out
		SizeBytes: int64(len(f.archive)),
		Sha256:    hex.EncodeToString(sum[:]),
	}
	if f.headerSHA != "" {
		header.Sha256 = f.headerSHA
	}
	if err := stream.Send(&privacyv1.DownloadExportResponse{Payload: &privacyv1.DownloadExportResponse_Header{Header: header}}); err != nil {
		return err
	}
	for data := f.archive; len(data) > 0; {
		n := min(len(data), 3)
		if err := stream.Send(&privacyv1.DownloadExportResponse{Payload: &privacyv1.DownloadExportResponse_Chunk{Chunk: data[:n]}}); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func illegalTransition(state privacyv1.State) error {
	st, err := status.New(codes.FailedPrecondition, "illegal transition").WithDetails(&errdetails.ErrorInfo{
		Reason:   "ILLEGAL_TRANSITION",
		Domain:   "privacyd",
		Metadata: map[string]string{"state": state.String()},
	})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func progress(state privacyv1.State, sourceState privacyv1.SourceState, items int64) *privacyv1.PrivacyRequest {
	return &privacyv1.PrivacyRequest{Id: "req-1", State: state, Sources: []*privacyv1.SourceProgress{
		{SourceName: "go-shop", State: sourceState, Items: items},
	}}
}

// runAgainst serves fake on a loopback port and runs the example against it in outDir.
func runAgainst(t *testing.T, fake *fakePrivacyd, outDir string) (string, error) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	privacyv1.RegisterPrivacyRequestServiceServer(srv, fake)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	env := map[string]string{"PRIVACYD_ADDR": lis.Addr().String(), "PRIVACYD_ADMIN_TOKEN": adminToken}
	var stdout bytes.Buffer
	err = run(ctx, []string{"--out", outDir, "jane@example.com"}, func(k string) string { return env[k] }, &stdout)
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.badAuth != nil {
		t.Errorf("calls without the admin token: %v", fake.badAuth)
	}
	return stdout.String(), err
}

func TestExportAlreadyStartedByAutoProcess(t *testing.T) {
	archive := []byte("PK\x03\x04 not really a zip, but bytes to check")
	fake := &fakePrivacyd{
		createState: privacyv1.State_STATE_CONFIRMED,
		// --auto-process got there between Create and Process.
		processErr: illegalTransition(privacyv1.State_STATE_PROCESSING),
		watch: []*privacyv1.PrivacyRequest{
			progress(privacyv1.State_STATE_PROCESSING, privacyv1.SourceState_SOURCE_STATE_RUNNING, 0),
			progress(privacyv1.State_STATE_PROCESSING, privacyv1.SourceState_SOURCE_STATE_RUNNING, 0), // no change: no line
			progress(privacyv1.State_STATE_PROCESSING, privacyv1.SourceState_SOURCE_STATE_SUCCEEDED, 6),
			progress(privacyv1.State_STATE_COMPLETED, privacyv1.SourceState_SOURCE_STATE_SUCCEEDED, 6),
		},
		archive: archive,
	}
	out := t.TempDir()
	stdout, err := runAgainst(t, fake, out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stdout)
	}

	path := filepath.Join(out, "privacy-export-req-1.zip")
	sum := sha256.Sum256(archive)
	want := strings.Join([]string{
		"created request req-1 (CONFIRMED)",
		"PROCESSING  go-shop: RUNNING, 0 items",
		"PROCESSING  go-shop: SUCCEEDED, 6 items",
		"COMPLETED  go-shop: SUCCEEDED, 6 items",
		fmt.Sprintf("archive %s %d bytes sha256 %x", path, len(archive), sum),
		"",
	}, "\n")
	if stdout != want {
		t.Errorf("output:\n%s\nwant:\n%s", stdout, want)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, archive) {
		t.Errorf("archive on disk = %q, want %q", got, archive)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("out folder holds %d entries, want only the archive", len(entries))
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if got, want := strings.Join(fake.calls, " "), "Create Process Watch Download"; got != want {
		t.Errorf("calls: %s, want %s", got, want)
	}
}

func TestProcessIsSkippedWhenAlreadyProcessing(t *testing.T) {
	fake := &fakePrivacyd{
		createState: privacyv1.State_STATE_PROCESSING,
		watch:       []*privacyv1.PrivacyRequest{progress(privacyv1.State_STATE_COMPLETED, privacyv1.SourceState_SOURCE_STATE_SUCCEEDED, 1)},
		archive:     []byte("zip"),
	}
	if _, err := runAgainst(t, fake, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.processed {
		t.Error("ProcessPrivacyRequest was called on a request already PROCESSING")
	}
}

func TestFailedRequestExitsWithStateAndReason(t *testing.T) {
	fake := &fakePrivacyd{
		createState: privacyv1.State_STATE_CONFIRMED,
		watch: []*privacyv1.PrivacyRequest{
			progress(privacyv1.State_STATE_PROCESSING, privacyv1.SourceState_SOURCE_STATE_RUNNING, 0),
			{Id: "req-1", State: privacyv1.State_STATE_FAILED, StateReason: "source go-shop failed: Unavailable"},
		},
	}
	// FAILED is not final, so the fake keeps the watch open: run must stop on its own.
	_, err := runAgainst(t, fake, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "FAILED: source go-shop failed: Unavailable") {
		t.Fatalf("run: got %v, want an error with the state and its reason", err)
	}
}

func TestProcessErrorsOtherThanAlreadyStartedFail(t *testing.T) {
	fake := &fakePrivacyd{
		createState: privacyv1.State_STATE_CONFIRMED,
		processErr:  illegalTransition(privacyv1.State_STATE_CANCELLED),
	}
	if _, err := runAgainst(t, fake, t.TempDir()); err == nil {
		t.Fatal("run succeeded although the request could not be processed")
	}
}

func TestCorruptDownloadLeavesNoFile(t *testing.T) {
	fake := &fakePrivacyd{
		createState: privacyv1.State_STATE_PROCESSING,
		watch:       []*privacyv1.PrivacyRequest{progress(privacyv1.State_STATE_COMPLETED, privacyv1.SourceState_SOURCE_STATE_SUCCEEDED, 1)},
		archive:     []byte("the archive"),
		headerSHA:   strings.Repeat("0", 64),
	}
	out := t.TempDir()
	_, err := runAgainst(t, fake, out)
	if err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("run: got %v, want a SHA-256 mismatch", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a failed download left %v behind", entries)
	}
}
