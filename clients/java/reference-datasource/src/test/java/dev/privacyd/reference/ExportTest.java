package dev.privacyd.reference;

import static dev.privacyd.reference.TestSource.JANE;
import static dev.privacyd.reference.TestSource.itemIds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.privacyd.privacy.datasource.v1.ExportField;
import dev.privacyd.privacy.datasource.v1.ExportItem;
import dev.privacyd.privacy.datasource.v1.ExportRequest;
import dev.privacyd.privacy.datasource.v1.ExportResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export: everything about the subject, profile, then orders, then comments. */
class ExportTest {

  @TempDir Path dir;

  private static Map<String, String> fields(ExportItem item) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (ExportField field : item.getDataList()) {
      fields.put(field.getName(), field.getValue());
    }
    return fields;
  }

  @Test
  void aSeededSubjectHasAProfileTwoOrdersAndThreeCommentsInThatOrder() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      List<ExportItem> items = source.export(JANE);

      assertEquals(List.of("user-1", "order-1", "order-2", "comment-1", "comment-2", "comment-3"),
          itemIds(items));
      assertEquals(List.of("profile", "orders", "orders", "comments", "comments", "comments"),
          items.stream().map(ExportItem::getGroupId).toList());
      assertEquals(List.of("Profile", "Orders", "Orders", "Comments", "Comments", "Comments"),
          items.stream().map(ExportItem::getGroupLabel).toList());
      for (ExportItem item : items) {
        assertTrue(!item.getGroupDescription().isBlank(), item.getItemId() + " has its group's description");
      }

      Map<String, String> profile = fields(items.get(0));
      assertEquals(List.of("Email", "Name", "Member since"), List.copyOf(profile.keySet()));
      assertEquals(JANE, profile.get("Email"));
      assertEquals("Jane", profile.get("Name"));
      assertEquals("2024-03-04T09:15:00Z", profile.get("Member since"));

      Map<String, String> order = fields(items.get(1));
      assertEquals(List.of("Order number", "Total", "Placed at", "Billing name", "Billing email"),
          List.copyOf(order.keySet()));
      assertEquals("1", order.get("Order number"));
      assertEquals("49.90 EUR", order.get("Total"));
      assertEquals("Jane", order.get("Billing name"));
      assertEquals(JANE, order.get("Billing email"));
      assertEquals("12.50 EUR", fields(items.get(2)).get("Total"));

      Map<String, String> comment = fields(items.get(5));
      assertEquals(List.of("Comment", "Posted at"), List.copyOf(comment.keySet()));
      assertEquals("Would <b>buy</b> again & recommend.", comment.get("Comment"));
    }
  }

  @Test
  void theSubjectIsFoundWhateverTheCaseOfTheEmail() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      assertEquals(6, source.export("JANE@Example.COM").size());
    }
  }

  @Test
  void anotherCustomersDataIsNeverIncluded() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      source.store.seed("john.smith@example.com");

      assertEquals(List.of("user-1", "order-1", "order-2", "comment-1", "comment-2", "comment-3"),
          itemIds(source.export(JANE)));
      List<ExportItem> john = source.export("john.smith@example.com");
      assertEquals(List.of("user-2", "order-3", "order-4", "comment-4", "comment-5", "comment-6"),
          itemIds(john));
      assertEquals("John Smith", fields(john.get(0)).get("Name"));
    }
  }

  @Test
  void anUnknownSubjectStreamsNothingAndEndsOk() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      assertEquals(List.of(), source.export("nobody@example.com"));
    }
  }

  @Test
  void aRequestWithoutAnEmailIsRejected() throws Exception {
    try (TestSource source = TestSource.start(dir)) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> source.stub().export(ExportRequest.newBuilder().setPrivacyRequestId("r").build()).hasNext());
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }
  }

  @Test
  void aLargeExportGoesOnlyAsFastAsTheCallerReadsAndStopsWhenTheCallerCancels() throws Exception {
    int comments = 200_000;
    Logger log = Logger.getLogger(ShopDataSource.class.getName());
    LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
    Handler capture =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            messages.add(record.getMessage());
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    log.addHandler(capture);
    try (TestSource source = TestSource.start(dir)) {
      try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + source.db);
          PreparedStatement insert =
              db.prepareStatement("INSERT INTO comments (user_id, body, created_at) VALUES (1, ?, '2025-01-01T00:00:00Z')")) {
        db.setAutoCommit(false);
        for (int i = 0; i < comments; i++) {
          insert.setString(1, "Comment number " + i + " about a product the subject bought");
          insert.addBatch();
        }
        insert.executeBatch();
        db.commit();
      }

      Context.CancellableContext call = Context.current().withCancellation();
      Context outer = call.attach();
      try {
        Iterator<ExportResponse> stream =
            source.stub().export(ExportRequest.newBuilder().setPrivacyRequestId("big").setSubject(TestSource.subject(JANE)).build());
        for (int i = 0; i < 10; i++) {
          stream.next();
        }
        // The reader is slow: in this time a source that ignored flow control would have
        // sent tens of thousands of items; one that honours it waits once the window is full.
        Thread.sleep(2_000);
      } finally {
        call.detach(outer);
        call.cancel(null);
      }

      Pattern stopped = Pattern.compile("export big: stopped after (\\d+) items.*");
      Matcher matcher = null;
      for (String message = messages.poll(10, TimeUnit.SECONDS);
          message != null;
          message = messages.poll(10, TimeUnit.SECONDS)) {
        matcher = stopped.matcher(message);
        if (matcher.matches()) {
          break;
        }
      }
      assertTrue(matcher != null && matcher.matches(), "the source logged that it stopped");
      long sent = Long.parseLong(matcher.group(1));
      // About what gRPC's flow-control window holds (some 4,000 to 6,000 items here).
      assertTrue(sent < comments / 10, "sent " + sent + " of " + (comments + 3) + " items before stopping");
    } finally {
      log.removeHandler(capture);
    }
  }
}
