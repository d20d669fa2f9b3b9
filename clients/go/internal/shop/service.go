package shop

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	datasourcev1 "github.com/privacyd/privacyd/clients/go/privacy/datasource/v1"
)

// Version is the reference source's software version, reported by Describe.
const Version = "0.1.0"

// The export groups, one per category that Describe declares.
const (
	groupProfile  = "profile"
	groupOrders   = "orders"
	groupComments = "comments"

	labelProfile  = "Profile"
	labelOrders   = "Orders"
	labelComments = "Comments"

	descriptionProfile  = "The customer account: email address, name and sign-up date."
	descriptionOrders   = "Purchases, with the billing name and email address."
	descriptionComments = "Product reviews the subject wrote."
)

// What Erase reports about the orders it keeps. German law requires invoices to be kept.
const (
	retentionReason = "Invoices must be kept for 10 years for tax law " +
		"(German Commercial Code § 257, Fiscal Code § 147)"
	retentionPeriod = "10 years after the end of the year of the order"

	messageErased  = "Profile and comments deleted; orders kept for tax law"
	messageNothing = "Nothing held about this subject"
)

// Service implements privacy.datasource.v1.DataSourceService over a Store.
type Service struct {
	datasourcev1.UnimplementedDataSourceServiceServer

	store *Store
	name  string
	log   *slog.Logger
}

// NewService returns the service; name is what Describe reports.
func NewService(store *Store, name string, log *slog.Logger) *Service {
	return &Service{store: store, name: name, log: log}
}

// Describe says what the shop holds and, per category, what GDPR Art. 15(1) requires the
// subject to be told about it.
func (s *Service) Describe(context.Context, *datasourcev1.DescribeRequest) (*datasourcev1.DescribeResponse, error) {
	return &datasourcev1.DescribeResponse{
		Name:            s.name,
		Version:         Version,
		ProtocolVersion: 1,
		Capabilities: []datasourcev1.Capability{
			datasourcev1.Capability_CAPABILITY_EXPORT,
			datasourcev1.Capability_CAPABILITY_ERASE,
		},
		Categories: []*datasourcev1.DataCategory{
			{
				GroupId:         groupProfile,
				Label:           labelProfile,
				Description:     descriptionProfile,
				Purposes:        []string{"Running the customer account"},
				LegalBasis:      datasourcev1.LegalBasis_LEGAL_BASIS_CONTRACT,
				Recipients:      []string{"Hosting provider (processor)"},
				RetentionPeriod: "Until the account is closed or erased",
				Origin:          "Provided by the subject at sign-up",
			},
			{
				GroupId:         groupOrders,
				Label:           labelOrders,
				Description:     descriptionOrders,
				Purposes:        []string{"Fulfilling orders", "Bookkeeping and tax returns"},
				LegalBasis:      datasourcev1.LegalBasis_LEGAL_BASIS_CONTRACT,
				Recipients:      []string{"Payment processor", "Tax authority, on audit"},
				RetentionPeriod: "10 years after the end of the year of the order (German Commercial Code § 257, Fiscal Code § 147)",
				Origin:          "Provided by the subject at checkout",
			},
			{
				GroupId:         groupComments,
				Label:           labelComments,
				Description:     descriptionComments,
				Purposes:        []string{"Showing the subject's reviews on product pages"},
				LegalBasis:      datasourcev1.LegalBasis_LEGAL_BASIS_CONSENT,
				Recipients:      []string{"Other visitors of the shop (public)"},
				RetentionPeriod: "Until the subject deletes them or asks for erasure",
				Origin:          "Written by the subject",
			},
		},
	}, nil
}

// Export streams the subject's profile, orders and comments, one item per row. Each Send
// waits while privacyd is slower than the database, and fails once the call is cancelled
// or past its deadline, which ends the export.
func (s *Service) Export(req *datasourcev1.ExportRequest, stream grpc.ServerStreamingServer[datasourcev1.ExportResponse]) error {
	ctx := stream.Context()
	email := req.GetSubject().GetEmail()
	if email == "" {
		return status.Error(codes.InvalidArgument, "subject.email is required")
	}
	start := time.Now()
	items := 0
	send := func(item *datasourcev1.ExportItem) error {
		if err := stream.Send(&datasourcev1.ExportResponse{
			Payload: &datasourcev1.ExportResponse_Item{Item: item},
		}); err != nil {
			return err
		}
		items++
		return nil
	}
	err := s.store.Export(ctx, email, Visitor{
		Profile: func(p Profile) error {
			return send(profileItem(p))
		},
		Order: func(o Order) error {
			return send(orderItem(o))
		},
		Comment: func(c Comment) error {
			return send(commentItem(c))
		},
	})
	if err != nil {
		return s.fail(ctx, "export", req.GetPrivacyRequestId(), err)
	}
	s.log.InfoContext(ctx, "export finished",
		"privacy_request_id", req.GetPrivacyRequestId(), "items", items, "duration", time.Since(start))
	return nil
}

// Erase deletes the subject's profile and comments and keeps their orders. A repeated privacy
// request id gets the first call's answer (see Store.Erase).
func (s *Service) Erase(ctx context.Context, req *datasourcev1.EraseRequest) (*datasourcev1.EraseResponse, error) {
	id := req.GetPrivacyRequestId()
	if id == "" {
		return nil, status.Error(codes.InvalidArgument, "privacy_request_id is required")
	}
	email := req.GetSubject().GetEmail()
	if email == "" {
		return nil, status.Error(codes.InvalidArgument, "subject.email is required")
	}
	e, err := s.store.Erase(ctx, id, email)
	if err != nil {
		return nil, s.fail(ctx, "erase", id, err)
	}
	s.log.InfoContext(ctx, "erase finished", "privacy_request_id", id,
		"items_removed", e.Removed, "items_retained", e.Retained, "replayed", e.Replayed,
		"leftovers_removed", e.Leftovers)
	return eraseResponse(e), nil
}

// eraseResponse builds the answer from the counts alone, so a replayed erasure reports exactly
// what the first call did.
func eraseResponse(e Erasure) *datasourcev1.EraseResponse {
	resp := &datasourcev1.EraseResponse{
		ItemsRemoved:  e.Removed,
		ItemsRetained: e.Retained,
		Messages:      []string{messageErased},
	}
	if e.Removed == 0 && e.Retained == 0 {
		resp.Messages = []string{messageNothing}
	}
	if e.Retained > 0 {
		resp.Retentions = []*datasourcev1.Retention{{
			GroupId:         groupOrders,
			Items:           e.Retained,
			Reason:          retentionReason,
			LegalBasis:      datasourcev1.LegalBasis_LEGAL_BASIS_LEGAL_OBLIGATION,
			RetentionPeriod: retentionPeriod,
		}}
	}
	return resp
}

// fail logs a failed call and turns its error into the status privacyd acts on: it retries
// an Erase that failed with UNAVAILABLE or DEADLINE_EXCEEDED and fails the source at once on
// INTERNAL (an Export it retries on any error: exporting again has no side effects). The
// details stay in this log, not in the reply.
func (s *Service) fail(ctx context.Context, op, privacyRequestID string, err error) error {
	var st *status.Status
	switch {
	case ctx.Err() != nil:
		st = status.FromContextError(ctx.Err())
	case IsBusy(err):
		st = status.New(codes.Unavailable, "the database is busy; try again")
	default:
		var ok bool
		if st, ok = status.FromError(err); !ok {
			st = status.New(codes.Internal, "database error; see the data source's log")
		}
	}
	s.log.WarnContext(ctx, op+" failed", "privacy_request_id", privacyRequestID, "code", st.Code(), "error", err)
	return st.Err()
}

func profileItem(p Profile) *datasourcev1.ExportItem {
	return &datasourcev1.ExportItem{
		GroupId:          groupProfile,
		GroupLabel:       labelProfile,
		GroupDescription: descriptionProfile,
		ItemId:           "user-" + strconv.FormatInt(p.ID, 10),
		Data: []*datasourcev1.ExportField{
			{Name: "Email", Value: p.Email},
			{Name: "Name", Value: p.Name},
			{Name: "Member since", Value: p.CreatedAt},
		},
	}
}

func orderItem(o Order) *datasourcev1.ExportItem {
	return &datasourcev1.ExportItem{
		GroupId:          groupOrders,
		GroupLabel:       labelOrders,
		GroupDescription: descriptionOrders,
		ItemId:           "order-" + strconv.FormatInt(o.ID, 10),
		Data: []*datasourcev1.ExportField{
			{Name: "Order number", Value: strconv.FormatInt(o.ID, 10)},
			{Name: "Total", Value: formatMoney(o.TotalCents, o.Currency)},
			{Name: "Placed at", Value: o.PlacedAt},
			{Name: "Billing name", Value: o.CustomerName},
			{Name: "Billing email", Value: o.CustomerEmail},
		},
	}
}

func commentItem(c Comment) *datasourcev1.ExportItem {
	return &datasourcev1.ExportItem{
		GroupId:          groupComments,
		GroupLabel:       labelComments,
		GroupDescription: descriptionComments,
		ItemId:           "comment-" + strconv.FormatInt(c.ID, 10),
		Data: []*datasourcev1.ExportField{
			{Name: "Comment", Value: c.Body},
			{Name: "Posted at", Value: c.CreatedAt},
		},
	}
}

// formatMoney writes an amount in cents as "49.90 EUR", with integer arithmetic: floats
// would round some amounts wrongly.
func formatMoney(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, cents/100, cents%100, currency)
}
