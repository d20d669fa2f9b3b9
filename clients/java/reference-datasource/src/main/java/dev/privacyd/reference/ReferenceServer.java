package dev.privacyd.reference;

import dev.privacyd.privacy.datasource.v1.DataSourceServiceGrpc;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The gRPC server: the data source service (behind the bearer token, if one is set) and
 * grpc.health.v1, on one address. Main runs it; the tests start the same thing.
 */
final class ReferenceServer {

  private static final Logger LOG = Logger.getLogger(ReferenceServer.class.getName());
  /** How long calls in flight may finish after a stop was asked for. */
  private static final long SHUTDOWN_GRACE_SECONDS = 10;

  private final Server server;
  private final HealthStatusManager health;
  private final String host;

  private ReferenceServer(Server server, HealthStatusManager health, String host) {
    this.server = server;
    this.health = health;
    this.host = host;
  }

  /**
   * Binds and starts serving.
   *
   * @param dataSource the DataSourceService implementation (tests wrap it in interceptors)
   */
  static ReferenceServer start(
      String host, int port, ServerServiceDefinition dataSource, Optional<String> token)
      throws IOException {
    ServerServiceDefinition service =
        token.map(t -> ServerInterceptors.intercept(dataSource, new BearerTokenInterceptor(t)))
            .orElse(dataSource);
    HealthStatusManager health = new HealthStatusManager();
    // The health service answers SERVICE_UNKNOWN for names nobody set, and privacyd asks for
    // the service by name.
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(DataSourceServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .addService(service)
            .addService(health.getHealthService())
            .build()
            .start();
    return new ReferenceServer(server, health, host);
  }

  /** The address actually bound, with the real port when 0 was asked for. */
  String address() {
    String shown = host.contains(":") ? "[" + host + "]" : host;
    return shown + ":" + server.getPort();
  }

  /**
   * Stops taking calls, lets those in flight finish for a while, then cancels the rest.
   * Health turns NOT_SERVING first, so that checks see the source going away.
   */
  void stop() {
    health.enterTerminalState();
    server.shutdown();
    try {
      if (!server.awaitTermination(SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS)) {
        LOG.warning("calls still open after the grace period; cancelling them");
        server.shutdownNow();
        server.awaitTermination(SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }
}
