package shop

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	datasourcev1 "github.com/privacyd/privacyd/clients/go/privacy/datasource/v1"
)

// Config is what the server needs besides the store.
type Config struct {
	// Name is the source's name, as Describe reports it.
	Name string
	// Token, when set, must arrive on every DataSourceService call as
	// `authorization: Bearer <Token>`. Health checks stay open, so that load balancers and
	// privacyd can probe without it.
	Token string
	// Log receives one line per call; never personal data.
	Log *slog.Logger
}

// Server is the gRPC server of the reference data source: DataSourceService and
// grpc.health.v1.
type Server struct {
	grpc   *grpc.Server
	health *health.Server
}

// NewServer wires the service, the health service and, with a token, authentication. Extra
// options are added after those (tests use them to observe calls).
func NewServer(store *Store, cfg Config, opts ...grpc.ServerOption) *Server {
	if cfg.Token != "" {
		auth := bearerAuth{
			service: "/" + datasourcev1.DataSourceService_ServiceDesc.ServiceName + "/",
			want:    "Bearer " + cfg.Token,
			log:     cfg.Log,
		}
		opts = append([]grpc.ServerOption{
			grpc.ChainUnaryInterceptor(auth.unary),
			grpc.ChainStreamInterceptor(auth.stream),
		}, opts...)
	}
	s := &Server{grpc: grpc.NewServer(opts...), health: health.NewServer()}
	datasourcev1.RegisterDataSourceServiceServer(s.grpc, NewService(store, cfg.Name, cfg.Log))
	healthpb.RegisterHealthServer(s.grpc, s.health)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(datasourcev1.DataSourceService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	return s
}

// Serve serves on lis until Shutdown; it returns nil after a Shutdown.
func (s *Server) Serve(lis net.Listener) error {
	return s.grpc.Serve(lis)
}

// Shutdown reports NOT_SERVING, so health checks stop routing calls here, then lets open calls
// finish until ctx is done, and cuts off whatever is still running after that.
func (s *Server) Shutdown(ctx context.Context) {
	s.health.Shutdown()
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		s.grpc.Stop()
		<-stopped
	}
}

// bearerAuth checks the bearer token on DataSourceService calls and lets anything else
// (health) through.
type bearerAuth struct {
	service string // "/privacy.datasource.v1.DataSourceService/": the prefix of its methods
	want    string // the whole header value, "Bearer <token>"
	log     *slog.Logger
}

func (a bearerAuth) check(ctx context.Context, method string) error {
	if !strings.HasPrefix(method, a.service) {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, got := range md.Get("authorization") {
		// Constant time, so the comparison does not tell an attacker how much was right.
		if subtle.ConstantTimeCompare([]byte(got), []byte(a.want)) == 1 {
			return nil
		}
	}
	a.log.WarnContext(ctx, "call without a valid bearer token refused", "method", method)
	return status.Error(codes.Unauthenticated, "a valid bearer token is required")
}

func (a bearerAuth) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := a.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (a bearerAuth) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := a.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}
