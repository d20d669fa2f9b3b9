package dev.privacyd.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.privacyd.privacy.datasource.v1.DataSourceServiceGrpc;
import dev.privacyd.privacy.datasource.v1.ExportRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The program as an operator starts it: flags in, one line out, SIGTERM to stop. */
class MainTest {

  @TempDir Path dir;

  @Test
  void printsWhereItListensServesAndStopsOnSigterm() throws Exception {
    Path db = dir.resolve("shop.db");
    Path stderr = dir.resolve("stderr.log");
    String java = ProcessHandle.current().info().command().orElse("java");
    Process process =
        new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--listen", "127.0.0.1:0", "--db", db.toString(), "--seed", TestSource.JANE)
            .redirectError(stderr.toFile())
            .start();
    try {
      BufferedReader stdout =
          new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = stdout.readLine();
      assertNotNull(line, "a line on stdout");
      assertTrue(line.matches("listening on 127\\.0\\.0\\.1:[1-9][0-9]*"), line);

      ManagedChannel channel =
          Grpc.newChannelBuilder(line.substring("listening on ".length()), InsecureChannelCredentials.create())
              .build();
      try {
        int[] items = {0};
        DataSourceServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .export(ExportRequest.newBuilder().setPrivacyRequestId("r").setSubject(TestSource.subject(TestSource.JANE)).build())
            .forEachRemaining(response -> items[0]++);
        assertEquals(6, items[0]);
      } finally {
        channel.shutdownNow();
      }

      // SIGTERM; Process.destroy() would also close our end of its stdout.
      process.toHandle().destroy();
      assertTrue(process.waitFor(20, TimeUnit.SECONDS), "stopped after SIGTERM");
      assertEquals(null, stdout.readLine(), "nothing else on stdout");
      String log = Files.readString(stderr);
      assertTrue(log.contains("stopped"), log);
      assertTrue(!log.contains(TestSource.JANE) && !log.contains("Jane"), "no personal data in the log:\n" + log);
    } finally {
      process.destroyForcibly();
    }
  }
}
