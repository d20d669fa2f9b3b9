package dev.privacyd.reference;

import static dev.privacyd.reference.TestSource.JANE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/** A source stops when privacyd gives up on a call: it never erases behind privacyd's back. */
class DeadlineTest {

  @TempDir Path dir;

  /** Counts down when the server's handler for a call has returned. */
  private static final class HandlerReturned implements ServerInterceptor {
    final CountDownLatch latch = new CountDownLatch(1);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
        @Override
        public void onHalfClose() {
          try {
            super.onHalfClose(); // a unary handler runs here
          } finally {
            latch.countDown();
          }
        }
      };
    }
  }

  @Test
  void anEraseWhoseDeadlinePassesBeforeItCommitsCommitsNothing() throws Exception {
    HandlerReturned handler = new HandlerReturned();
    try (TestSource source = TestSource.start(dir, Optional.empty(), handler)) {
      Map<String, List<String>> before = source.snapshot();

      // Another writer holds the write lock, so the erasure waits in its transaction until
      // after the caller's deadline has passed.
      SQLiteConfig config = new SQLiteConfig();
      config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
      StatusRuntimeException e;
      try (Connection writer = config.createConnection("jdbc:sqlite:" + source.db)) {
        writer.setAutoCommit(false);
        writer.createStatement().execute("DELETE FROM erasures"); // takes the lock for sure
        e = assertThrows(StatusRuntimeException.class,
            () -> source.stub().withDeadlineAfter(500, TimeUnit.MILLISECONDS)
                .erase(TestSource.eraseRequest("request-1", JANE)));
        writer.rollback();
      }
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());

      // The lock is free: the erasure goes on, sees that its caller left, and rolls back.
      assertTrue(handler.latch.await(10, TimeUnit.SECONDS), "the erase handler ran and returned");
      assertEquals(before, source.snapshot());
      assertEquals(6, source.export(JANE).size());
      // Nothing was recorded under the request id either: privacyd's retry does the work.
      assertEquals(4, source.erase("request-1", JANE).getItemsRemoved());
    }
  }

  @Test
  void anEraseThatArrivesAfterItsDeadlineCommitsNothing() throws Exception {
    HandlerReturned handler = new HandlerReturned();
    ServerInterceptor slowNetwork =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
              @Override
              public void onHalfClose() {
                try {
                  Thread.sleep(800); // the request reaches the handler after its deadline
                } catch (InterruptedException interrupted) {
                  Thread.currentThread().interrupt();
                }
                super.onHalfClose();
              }
            };
          }
        };
    // Interceptors run last to first: the handler latch sees the call after the delay.
    try (TestSource source = TestSource.start(dir, Optional.empty(), handler, slowNetwork)) {
      Map<String, List<String>> before = source.snapshot();

      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> source.stub().withDeadlineAfter(300, TimeUnit.MILLISECONDS)
              .erase(TestSource.eraseRequest("request-1", JANE)));

      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
      assertTrue(handler.latch.await(10, TimeUnit.SECONDS), "the erase handler ran and returned");
      assertEquals(before, source.snapshot());
    }
  }
}
