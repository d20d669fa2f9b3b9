package dev.privacyd.reference;

import static dev.privacyd.reference.TestSource.JANE;
import static dev.privacyd.reference.TestSource.itemIds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.privacyd.privacy.datasource.v1.EraseRequest;
import dev.privacyd.privacy.datasource.v1.EraseResponse;
import dev.privacyd.privacy.datasource.v1.LegalBasis;
import dev.privacyd.privacy.datasource.v1.Retention;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Erase: profile and comments go, orders stay for tax law; idempotent per request id. */
class EraseTest {

  @TempDir Path dir;

  private static final Retention ORDERS_KEPT =
      Retention.newBuilder()
          .setGroupId("orders")
          .setItems(2)
          .setReason("Invoices must be kept for 10 years for tax law"
              + " (German Commercial Code § 257, Fiscal Code § 147)")
          .setLegalBasis(LegalBasis.LEGAL_BASIS_LEGAL_OBLIGATION)
          .setRetentionPeriod("10 years after the end of the year of the order")
          .build();

  @Test
  void erasingRemovesTheProfileAndCommentsAndKeepsTheOrders() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      EraseResponse erased = source.erase("request-1", JANE);

      assertEquals(4, erased.getItemsRemoved());
      assertEquals(2, erased.getItemsRetained());
      assertEquals(List.of(ORDERS_KEPT), erased.getRetentionsList());
      assertEquals(List.of("Profile and comments deleted; orders kept for tax law"), erased.getMessagesList());
    }
  }

  @Test
  void aSecondEraseWithTheSameIdAnswersTheSameAndChangesNothing() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      EraseResponse first = source.erase("request-1", JANE);
      // After a correct first call a repeat (privacyd retrying after a timeout or a restart)
      // finds nothing left to delete: the database stays exactly as the first call left it.
      Map<String, List<String>> before = source.snapshot();

      EraseResponse second = source.erase("request-1", JANE);

      assertEquals(first, second);
      assertEquals(before, source.snapshot());
    }
  }

  @Test
  void aSecondEraseWithTheSameIdDeletesWhatTheFirstMissedAndAnswersTheSame() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      EraseResponse first = source.erase("request-1", JANE);
      assertEquals(4, first.getItemsRemoved());
      assertEquals(2, first.getItemsRetained());
      Map<String, List<String>> afterFirst = source.snapshot();

      // Data the first call missed (a source that was buggy, then fixed), written straight
      // into the database. A comment belongs to a profile, so the profile is back too.
      try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + source.db);
          PreparedStatement user = db.prepareStatement(
              "INSERT INTO users (email, name, created_at) VALUES (?, 'Jane', '2025-01-01T00:00:00Z')",
              Statement.RETURN_GENERATED_KEYS);
          PreparedStatement comment = db.prepareStatement(
              "INSERT INTO comments (user_id, body, created_at)"
                  + " VALUES (?, 'Missed by the first erasure.', '2025-01-02T00:00:00Z')")) {
        user.setString(1, JANE);
        user.executeUpdate();
        ResultSet key = user.getGeneratedKeys();
        key.next();
        comment.setLong(1, key.getLong(1));
        comment.executeUpdate();
      }
      assertEquals(4, source.export(JANE).size()); // profile, 2 orders, the comment

      EraseResponse second = source.erase("request-1", JANE);

      assertEquals(first, second);
      assertEquals(4, second.getItemsRemoved());
      assertEquals(2, second.getItemsRetained());
      assertEquals(List.of(ORDERS_KEPT), second.getRetentionsList());
      // The comment and the profile are gone, the orders kept, the stored answer untouched:
      // the database is as the first call left it.
      assertEquals(List.of("order-1", "order-2"), itemIds(source.export(JANE)));
      assertEquals(afterFirst, source.snapshot());
    }
  }

  @Test
  void afterAnErasureExportGivesTheKeptOrdersOnly() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      source.erase("request-1", JANE);

      assertEquals(List.of("order-1", "order-2"), itemIds(source.export(JANE)));
    }
  }

  @Test
  void anotherRequestForAnErasedSubjectRemovesNothingAndReportsTheKeptOrders() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      source.erase("request-1", JANE);

      EraseResponse again = source.erase("request-2", JANE);

      assertEquals(0, again.getItemsRemoved());
      assertEquals(2, again.getItemsRetained());
      assertEquals(List.of(ORDERS_KEPT), again.getRetentionsList());
    }
  }

  @Test
  void anUnknownSubjectIsErasedWithZeroCounts() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      Map<String, List<String>> before = source.snapshot();

      EraseResponse erased = source.erase("request-1", "nobody@example.com");

      assertEquals(0, erased.getItemsRemoved());
      assertEquals(0, erased.getItemsRetained());
      assertEquals(List.of(), erased.getRetentionsList());
      assertEquals(List.of("Nothing held about this subject"), erased.getMessagesList());
      Map<String, List<String>> after = source.snapshot();
      assertEquals(before.get("users"), after.get("users"));
      assertEquals(before.get("comments"), after.get("comments"));
      assertEquals(6, source.export(JANE).size());
    }
  }

  @Test
  void anEraseWithoutARequestIdIsRejectedAndChangesNothing() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      Map<String, List<String>> before = source.snapshot();

      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> source.stub().erase(EraseRequest.newBuilder().setSubject(TestSource.subject(JANE)).build()));

      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertEquals(before, source.snapshot());
    }
  }
}
