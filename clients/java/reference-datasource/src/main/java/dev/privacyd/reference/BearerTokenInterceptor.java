package dev.privacyd.reference;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Lets a call through only if it carries {@code authorization: Bearer <token>}, the token the
 * operator registered the source with in privacyd. Put on the data source service only:
 * health checks stay open, as load balancers and privacyd's CheckDataSource expect.
 */
final class BearerTokenInterceptor implements ServerInterceptor {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final byte[] expected;

  BearerTokenInterceptor(String token) {
    this.expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String presented = headers.get(AUTHORIZATION);
    // MessageDigest.isEqual takes the same time wherever the first difference is, so the
    // response time does not reveal how much of a guess was right.
    if (presented == null
        || !MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8))) {
      call.close(Status.UNAUTHENTICATED.withDescription("a valid bearer token is required"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
