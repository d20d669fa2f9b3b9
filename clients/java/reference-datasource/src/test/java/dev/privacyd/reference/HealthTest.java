package dev.privacyd.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.health.v1.HealthGrpc.HealthBlockingStub;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** grpc.health.v1, which privacyd's CheckDataSource asks. */
class HealthTest {

  @TempDir Path dir;

  private static ServingStatus check(HealthBlockingStub health, String service) {
    return health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  @Test
  void theServerAndTheDataSourceServiceAreServing() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      HealthBlockingStub health = HealthGrpc.newBlockingStub(source.channel());

      assertEquals(ServingStatus.SERVING, check(health, ""));
      assertEquals(ServingStatus.SERVING, check(health, "privacy.datasource.v1.DataSourceService"));
      StatusRuntimeException unknown =
          assertThrows(StatusRuntimeException.class, () -> check(health, "no.such.Service"));
      assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    }
  }
}
