package shop_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/privacyd/privacyd/clients/go/internal/shop"
	datasourcev1 "github.com/privacyd/privacyd/clients/go/privacy/datasource/v1"
)

const (
	jane    = "jane.doe@example.com"
	unknown = "nobody@example.com"
)

// source is a reference data source running in-process on a temporary SQLite file, and a
// client connected to it.
type source struct {
	dbPath string
	client datasourcev1.DataSourceServiceClient
	health healthpb.HealthClient
	logs   *syncBuffer
}

// startSource opens a fresh database, seeds the given emails, and serves it over an
// in-memory connection until the test ends.
func startSource(t *testing.T, token string, seeds []string, opts ...grpc.ServerOption) *source {
	t.Helper()
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "shop.db")
	store, err := shop.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range seeds {
		if _, err := store.Seed(ctx, email); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncBuffer{}
	srv := shop.NewServer(store, shop.Config{
		Name:  "go-shop",
		Token: token,
		Log:   slog.New(slog.NewTextHandler(logs, nil)),
	}, opts...)
	lis := bufconn.Listen(1 << 20)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	conn, err := grpc.NewClient("passthrough:///reference-datasource",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := store.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
		if t.Failed() {
			t.Logf("data source log:\n%s", logs.String())
		}
	})
	return &source{
		dbPath: dbPath,
		client: datasourcev1.NewDataSourceServiceClient(conn),
		health: healthpb.NewHealthClient(conn),
		logs:   logs,
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func subject(email string) *datasourcev1.Subject {
	return &datasourcev1.Subject{Email: email}
}

// export runs Export to the end and returns the items.
func (s *source) export(ctx context.Context, t *testing.T, email string) []*datasourcev1.ExportItem {
	t.Helper()
	items, err := s.tryExport(ctx, email)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return items
}

func (s *source) tryExport(ctx context.Context, email string) ([]*datasourcev1.ExportItem, error) {
	stream, err := s.client.Export(ctx, &datasourcev1.ExportRequest{PrivacyRequestId: "export-1", Subject: subject(email)})
	if err != nil {
		return nil, err
	}
	var items []*datasourcev1.ExportItem
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return items, nil
		}
		if err != nil {
			return items, err
		}
		if msg.GetItem() == nil {
			return items, fmt.Errorf("got a message without an item: %v", msg)
		}
		items = append(items, msg.GetItem())
	}
}

func (s *source) erase(ctx context.Context, t *testing.T, id, email string) *datasourcev1.EraseResponse {
	t.Helper()
	resp, err := s.client.Erase(ctx, &datasourcev1.EraseRequest{PrivacyRequestId: id, Subject: subject(email)})
	if err != nil {
		t.Fatalf("Erase(%s): %v", id, err)
	}
	return resp
}

// dump reads every table of the database file directly, to tell whether a call changed it.
func (s *source) dump(t *testing.T) string {
	t.Helper()
	db, err := sql.Open("sqlite", s.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out strings.Builder
	for _, query := range []string{
		"SELECT id, email, name, created_at FROM users ORDER BY id",
		"SELECT id, customer_email, customer_name, total_cents, currency, placed_at FROM orders ORDER BY id",
		"SELECT id, user_id, body, created_at FROM comments ORDER BY id",
		"SELECT privacy_request_id, items_removed, items_retained, erased_at FROM erasures ORDER BY privacy_request_id",
	} {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			values := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range values {
				ptrs[i] = &values[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&out, values...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		fmt.Fprintln(&out, "--")
	}
	return out.String()
}

func field(name, value string) *datasourcev1.ExportField {
	return &datasourcev1.ExportField{Name: name, Value: value}
}

// Jane's seeded data as Export must send it: profile, orders, comments, in that order.
func janeProfile() *datasourcev1.ExportItem {
	return &datasourcev1.ExportItem{
		GroupId: "profile", GroupLabel: "Profile",
		GroupDescription: "The customer account: email address, name and sign-up date.",
		ItemId:           "user-1",
		Data: []*datasourcev1.ExportField{
			field("Email", jane), field("Name", "Jane Doe"), field("Member since", "2023-04-12T09:30:00Z"),
		},
	}
}

func janeOrders() []*datasourcev1.ExportItem {
	order := func(id, total, placedAt string) *datasourcev1.ExportItem {
		return &datasourcev1.ExportItem{
			GroupId: "orders", GroupLabel: "Orders",
			GroupDescription: "Purchases, with the billing name and email address.",
			ItemId:           "order-" + id,
			Data: []*datasourcev1.ExportField{
				field("Order number", id), field("Total", total), field("Placed at", placedAt),
				field("Billing name", "Jane Doe"), field("Billing email", jane),
			},
		}
	}
	return []*datasourcev1.ExportItem{
		order("1", "49.90 EUR", "2024-02-03T14:05:00Z"),
		order("2", "129.50 EUR", "2024-11-28T19:42:00Z"),
	}
}

func janeComments() []*datasourcev1.ExportItem {
	comment := func(id, body, postedAt string) *datasourcev1.ExportItem {
		return &datasourcev1.ExportItem{
			GroupId: "comments", GroupLabel: "Comments",
			GroupDescription: "Product reviews the subject wrote.",
			ItemId:           "comment-" + id,
			Data:             []*datasourcev1.ExportField{field("Comment", body), field("Posted at", postedAt)},
		}
	}
	return []*datasourcev1.ExportItem{
		comment("1", "Great kettle: boils fast and is quiet.", "2024-02-10T08:15:00Z"),
		comment("2", "The lid could close more firmly.", "2024-03-01T17:20:00Z"),
		comment("3", "Customer service replaced a broken handle within a week.", "2024-12-05T11:00:00Z"),
	}
}

func janeErased() *datasourcev1.EraseResponse {
	return &datasourcev1.EraseResponse{
		ItemsRemoved:  4,
		ItemsRetained: 2,
		Retentions: []*datasourcev1.Retention{{
			GroupId:         "orders",
			Items:           2,
			Reason:          "Invoices must be kept for 10 years for tax law (German Commercial Code § 257, Fiscal Code § 147)",
			LegalBasis:      datasourcev1.LegalBasis_LEGAL_BASIS_LEGAL_OBLIGATION,
			RetentionPeriod: "10 years after the end of the year of the order",
		}},
		Messages: []string{"Profile and comments deleted; orders kept for tax law"},
	}
}

func diff(want, got any) string {
	return cmp.Diff(want, got, protocmp.Transform())
}

func TestDescribe(t *testing.T) {
	src := startSource(t, "", nil)
	got, err := src.client.Describe(testContext(t), &datasourcev1.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := &datasourcev1.DescribeResponse{
		Name:            "go-shop",
		Version:         shop.Version,
		ProtocolVersion: 1,
		Capabilities:    []datasourcev1.Capability{datasourcev1.Capability_CAPABILITY_EXPORT, datasourcev1.Capability_CAPABILITY_ERASE},
		Categories: []*datasourcev1.DataCategory{
			{
				GroupId: "profile", Label: "Profile",
				Description:     "The customer account: email address, name and sign-up date.",
				Purposes:        []string{"Running the customer account"},
				LegalBasis:      datasourcev1.LegalBasis_LEGAL_BASIS_CONTRACT,
				Recipients:      []string{"Hosting provider (processor)"},
				RetentionPeriod: "Until the account is closed or erased",
				Origin:          "Provided by the subject at sign-up",
			},
			{
				GroupId: "orders", Label: "Orders",
				Description:     "Purchases, with the billing name and email address.",
				Purposes:        []string{"Fulfilling orders", "Bookkeeping and tax returns"},
				LegalBasis:      datasourcev1.LegalBasis_LEGAL_BASIS_CONTRACT,
				Recipients:      []string{"Payment processor", "Tax authority, on audit"},
				RetentionPeriod: "10 years after the end of the year of the order (German Commercial Code § 257, Fiscal Code § 147)",
				Origin:          "Provided by the subject at checkout",
			},
			{
				GroupId: "comments", Label: "Comments",
				Description:     "Product reviews the subject wrote.",
				Purposes:        []string{"Showing the subject's reviews on product pages"},
				LegalBasis:      datasourcev1.LegalBasis_LEGAL_BASIS_CONSENT,
				Recipients:      []string{"Other visitors of the shop (public)"},
				RetentionPeriod: "Until the subject deletes them or asks for erasure",
				Origin:          "Written by the subject",
			},
		},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("Describe (-want +got):\n%s", d)
	}
}

func TestExportSendsProfileOrdersAndCommentsInOrder(t *testing.T) {
	src := startSource(t, "", []string{jane, "someone.else@example.com"})
	want := append(append([]*datasourcev1.ExportItem{janeProfile()}, janeOrders()...), janeComments()...)

	// The subject is looked up case-insensitively.
	for _, email := range []string{jane, strings.ToUpper(jane)} {
		got := src.export(testContext(t), t, email)
		if len(got) != 6 {
			t.Errorf("Export(%s) sent %d items, want 6", email, len(got))
		}
		if d := diff(want, got); d != "" {
			t.Errorf("Export(%s) (-want +got):\n%s", email, d)
		}
	}
}

func TestUnknownSubjectHasNothingAndErasesNothing(t *testing.T) {
	src := startSource(t, "", []string{jane})
	ctx := testContext(t)

	if got := src.export(ctx, t, unknown); len(got) != 0 {
		t.Errorf("Export(unknown) sent %d items, want none: %v", len(got), got)
	}
	before := src.dump(t)
	got := src.erase(ctx, t, "erase-unknown", unknown)
	want := &datasourcev1.EraseResponse{Messages: []string{"Nothing held about this subject"}}
	if d := diff(want, got); d != "" {
		t.Errorf("Erase(unknown) (-want +got):\n%s", d)
	}
	// Jane's data is untouched; only the erasure is recorded.
	after := src.dump(t)
	if !strings.HasPrefix(after, strings.TrimSuffix(before, "--\n")) || !strings.Contains(after, "erase-unknown 0 0") {
		t.Errorf("Erase(unknown) changed more than the erasures table:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestEraseRemovesProfileAndCommentsAndKeepsOrders(t *testing.T) {
	src := startSource(t, "", []string{jane, "someone.else@example.com"})
	ctx := testContext(t)

	got := src.erase(ctx, t, "erase-1", jane)
	if d := diff(janeErased(), got); d != "" {
		t.Errorf("Erase (-want +got):\n%s", d)
	}

	// Only the orders are left, and they are still exported: they are the retained group.
	if d := diff(janeOrders(), src.export(ctx, t, jane)); d != "" {
		t.Errorf("Export after Erase (-want +got):\n%s", d)
	}
	// The other customer keeps everything.
	if n := len(src.export(ctx, t, "someone.else@example.com")); n != 6 {
		t.Errorf("the other customer has %d items after Jane's erasure, want 6", n)
	}
}

func TestEraseIsIdempotentPerPrivacyRequest(t *testing.T) {
	src := startSource(t, "", []string{jane})
	ctx := testContext(t)

	first := src.erase(ctx, t, "erase-1", jane)
	afterFirst := src.dump(t)
	second := src.erase(ctx, t, "erase-1", jane)
	if d := diff(first, second); d != "" {
		t.Errorf("second Erase with the same id (-first +second):\n%s", d)
	}
	if d := diff(janeErased(), second); d != "" {
		t.Errorf("second Erase (-want +got):\n%s", d)
	}
	if afterSecond := src.dump(t); afterSecond != afterFirst {
		t.Errorf("second Erase changed the database:\nbefore:\n%s\nafter:\n%s", afterFirst, afterSecond)
	}

	// A new privacy request for the same subject finds only the orders left.
	third := src.erase(ctx, t, "erase-2", jane)
	if third.ItemsRemoved != 0 || third.ItemsRetained != 2 {
		t.Errorf("Erase with a new id: removed %d, retained %d; want 0 and 2", third.ItemsRemoved, third.ItemsRetained)
	}
}

// A repeated Erase must still leave nothing of the subject outside the retained orders, as
// when an operator processes a request again after the source missed data and was fixed, and
// must still answer exactly as the first call did.
func TestRepeatedEraseDeletesWhatIsLeftAndAnswersAsTheFirst(t *testing.T) {
	src := startSource(t, "", []string{jane})
	ctx := testContext(t)

	first := src.erase(ctx, t, "erase-1", jane)
	if d := diff(janeErased(), first); d != "" {
		t.Fatalf("first Erase (-want +got):\n%s", d)
	}
	afterFirst := src.dump(t)

	// Data the first call missed: a comment by the subject, written straight into the
	// database. A comment belongs to a profile, so the profile is back too.
	db, err := sql.Open("sqlite", src.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.ExecContext(ctx,
		`INSERT INTO users (email, name, created_at) VALUES (?, 'Jane Doe', '2025-01-01T00:00:00Z')`, jane)
	if err != nil {
		t.Fatal(err)
	}
	userID, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx,
		`INSERT INTO comments (user_id, body, created_at) VALUES (?, 'Missed by the first erasure.', '2025-01-02T00:00:00Z')`,
		userID,
	); err != nil {
		t.Fatal(err)
	}
	if n := len(src.export(ctx, t, jane)); n != 4 {
		t.Fatalf("Export before the repeated Erase sent %d items, want 4 (2 orders, profile, comment)", n)
	}

	second := src.erase(ctx, t, "erase-1", jane)
	if d := diff(first, second); d != "" {
		t.Errorf("repeated Erase with the same id (-first +second):\n%s", d)
	}
	if d := diff(janeErased(), second); d != "" {
		t.Errorf("repeated Erase (-want +got):\n%s", d)
	}
	// The comment and the profile are gone, the orders kept, and the stored answer untouched:
	// the database is as the first call left it.
	if d := diff(janeOrders(), src.export(ctx, t, jane)); d != "" {
		t.Errorf("Export after the repeated Erase (-want +got):\n%s", d)
	}
	if afterSecond := src.dump(t); afterSecond != afterFirst {
		t.Errorf("after the repeated Erase the database is not as the first left it:\nafter the first:\n%s\nafter the second:\n%s", afterFirst, afterSecond)
	}
}

// An erasure whose caller gave up (deadline passed, or cancelled) must commit nothing: privacyd
// has recorded a failure and will call again. The test holds SQLite's write lock so that the
// erasure is still waiting when its caller gives up, releases it afterwards, and then checks
// that the erasure did not go ahead once it could.
func TestEraseAfterCallerGaveUpCommitsNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		// giveUp returns the context of the call; started is closed once the server is
		// running the Erase.
		giveUp func(ctx context.Context, started <-chan struct{}) (context.Context, context.CancelFunc)
		code   codes.Code
	}{
		{"deadline", func(ctx context.Context, _ <-chan struct{}) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, time.Second)
		}, codes.DeadlineExceeded},
		{"cancelled", func(ctx context.Context, started <-chan struct{}) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			go func() {
				<-started
				time.Sleep(200 * time.Millisecond) // long enough to be waiting for the lock
				cancel()
			}()
			return ctx, cancel
		}, codes.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started := make(chan struct{})
			var startOnce sync.Once
			handled := make(chan error, 2) // the abandoned call, then the retry
			observe := grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
				if info.FullMethod != datasourcev1.DataSourceService_Erase_FullMethodName {
					return handler(ctx, req)
				}
				startOnce.Do(func() { close(started) })
				resp, err := handler(ctx, req)
				handled <- err
				return resp, err
			})
			src := startSource(t, "", []string{jane}, observe)
			ctx := testContext(t)
			before := src.dump(t)

			release := holdWriteLock(t, src.dbPath)
			callCtx, cancel := tc.giveUp(ctx, started)
			defer cancel()
			_, err := src.client.Erase(callCtx, &datasourcev1.EraseRequest{PrivacyRequestId: "erase-1", Subject: subject(jane)})
			if status.Code(err) != tc.code {
				t.Fatalf("Erase: got %v, want %v", err, tc.code)
			}
			release()

			select {
			case err := <-handled:
				if err == nil {
					t.Errorf("the server finished the erasure after its caller gave up")
				}
			case <-ctx.Done():
				t.Fatal("the server's Erase did not return")
			}
			if after := src.dump(t); after != before {
				t.Errorf("an abandoned Erase changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			// The erasure was not recorded either, so the retry does the work.
			if d := diff(janeErased(), src.erase(ctx, t, "erase-1", jane)); d != "" {
				t.Errorf("retried Erase (-want +got):\n%s", d)
			}
		})
	}
}

// holdWriteLock takes SQLite's write lock on the file from another connection, as another
// process would, until the returned function is called.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
				t.Error(err)
			}
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

func TestTokenIsRequiredWhenSet(t *testing.T) {
	const token = "s3cret-token-for-tests"
	src := startSource(t, token, []string{jane})
	ctx := testContext(t)
	with := func(value string) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", value)
	}

	for name, ctx := range map[string]context.Context{
		"no token":     ctx,
		"wrong token":  with("Bearer not-the-token"),
		"not a bearer": with(token),
	} {
		if _, err := src.client.Describe(ctx, &datasourcev1.DescribeRequest{}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("Describe with %s: got %v, want UNAUTHENTICATED", name, err)
		}
		if _, err := src.tryExport(ctx, jane); status.Code(err) != codes.Unauthenticated {
			t.Errorf("Export with %s: got %v, want UNAUTHENTICATED", name, err)
		}
		if _, err := src.client.Erase(ctx, &datasourcev1.EraseRequest{PrivacyRequestId: "erase-1", Subject: subject(jane)}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("Erase with %s: got %v, want UNAUTHENTICATED", name, err)
		}
	}

	authed := with("Bearer " + token)
	if _, err := src.client.Describe(authed, &datasourcev1.DescribeRequest{}); err != nil {
		t.Errorf("Describe with the token: %v", err)
	}
	if items := src.export(authed, t, jane); len(items) != 6 {
		t.Errorf("Export with the token sent %d items, want 6 (no unauthenticated Erase may have run)", len(items))
	}
	// Health stays open.
	if _, err := src.health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health check without a token: %v", err)
	}
}

func TestHealthIsServing(t *testing.T) {
	src := startSource(t, "", nil)
	for _, service := range []string{"", "privacy.datasource.v1.DataSourceService"} {
		resp, err := src.health.Check(testContext(t), &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			t.Fatalf("Check(%q): %v", service, err)
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("Check(%q) = %v, want SERVING", service, resp.GetStatus())
		}
	}
}

func TestRequestsWithoutRequiredFieldsAreInvalid(t *testing.T) {
	src := startSource(t, "", []string{jane})
	ctx := testContext(t)
	for name, req := range map[string]*datasourcev1.EraseRequest{
		"no privacy_request_id": {Subject: subject(jane)},
		"no subject":            {PrivacyRequestId: "erase-1"},
	} {
		if _, err := src.client.Erase(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("Erase with %s: got %v, want INVALID_ARGUMENT", name, err)
		}
	}
	if _, err := src.tryExport(ctx, ""); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Export without an email: got %v, want INVALID_ARGUMENT", err)
	}
}

func TestSeedAddsACustomerOnce(t *testing.T) {
	ctx := testContext(t)
	store, err := shop.Open(ctx, filepath.Join(t.TempDir(), "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i, want := range []bool{true, false} {
		created, err := store.Seed(ctx, strings.ToUpper(jane[:1])+jane[1:])
		if err != nil {
			t.Fatal(err)
		}
		if created != want {
			t.Errorf("Seed call %d: created = %v, want %v", i+1, created, want)
		}
	}
}

func TestLogsHoldNoPersonalData(t *testing.T) {
	src := startSource(t, "a-token-of-sixteen-chars", []string{jane})
	ctx := metadata.AppendToOutgoingContext(testContext(t), "authorization", "Bearer a-token-of-sixteen-chars")
	src.export(ctx, t, jane)
	src.erase(ctx, t, "erase-42", jane)
	if _, err := src.client.Describe(testContext(t), &datasourcev1.DescribeRequest{}); err == nil {
		t.Fatal("Describe without the token succeeded")
	}

	logs := src.logs.String()
	if !strings.Contains(logs, "erase-42") {
		t.Errorf("the log does not name the privacy request:\n%s", logs)
	}
	for _, secret := range []string{"jane", "Jane Doe", "a-token-of-sixteen-chars"} {
		if strings.Contains(strings.ToLower(logs), strings.ToLower(secret)) {
			t.Errorf("the log contains %q:\n%s", secret, logs)
		}
	}
}

// syncBuffer is a bytes.Buffer that the server's goroutines and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
