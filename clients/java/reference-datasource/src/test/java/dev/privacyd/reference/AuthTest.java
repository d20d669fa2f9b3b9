package dev.privacyd.reference;

import static dev.privacyd.reference.TestSource.JANE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.privacyd.privacy.datasource.v1.DataSourceServiceGrpc.DataSourceServiceBlockingStub;
import dev.privacyd.privacy.datasource.v1.DescribeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** With --token, every DataSourceService call needs `authorization: Bearer <token>`. */
class AuthTest {

  private static final String TOKEN = "s3cret-token-of-the-shop";

  @TempDir Path dir;

  private static void assertUnauthenticated(Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
  }

  private static void assertEveryCallRefused(DataSourceServiceBlockingStub stub) {
    assertUnauthenticated(() -> stub.describe(DescribeRequest.getDefaultInstance()));
    assertUnauthenticated(() -> TestSource.export(stub, JANE));
    assertUnauthenticated(() -> stub.erase(TestSource.eraseRequest("request-1", JANE)));
  }

  @Test
  void callsWithoutTheTokenAreUnauthenticatedAndChangeNothing() throws Exception {
    try (TestSource source = TestSource.start(dir, Optional.of(TOKEN))) {
      Map<String, List<String>> before = source.snapshot();

      assertEveryCallRefused(source.stub());
      assertEveryCallRefused(source.stub("wrong-token-wrong-token"));
      assertEveryCallRefused(source.stub(TOKEN + "x"));

      assertEquals(before, source.snapshot());
    }
  }

  @Test
  void callsWithTheTokenSucceed() throws Exception {
    try (TestSource source = TestSource.start(dir, Optional.of(TOKEN))) {
      DataSourceServiceBlockingStub stub = source.stub(TOKEN);

      assertEquals(TestSource.NAME, stub.describe(DescribeRequest.getDefaultInstance()).getName());
      assertEquals(6, TestSource.export(stub, JANE).size());
      assertEquals(4, stub.erase(TestSource.eraseRequest("request-1", JANE)).getItemsRemoved());
    }
  }

  @Test
  void healthNeedsNoToken() throws Exception {
    try (TestSource source = TestSource.start(dir, Optional.of(TOKEN))) {
      ServingStatus status =
          HealthGrpc.newBlockingStub(source.channel())
              .check(HealthCheckRequest.newBuilder().setService("privacy.datasource.v1.DataSourceService").build())
              .getStatus();
      assertEquals(ServingStatus.SERVING, status);
    }
  }
}
