package dev.privacyd.reference;

import dev.privacyd.privacy.datasource.v1.Capability;
import dev.privacyd.privacy.datasource.v1.DataSourceServiceGrpc;
import dev.privacyd.privacy.datasource.v1.DescribeRequest;
import dev.privacyd.privacy.datasource.v1.DescribeResponse;
import dev.privacyd.privacy.datasource.v1.EraseRequest;
import dev.privacyd.privacy.datasource.v1.EraseResponse;
import dev.privacyd.privacy.datasource.v1.ExportItem;
import dev.privacyd.privacy.datasource.v1.ExportRequest;
import dev.privacyd.privacy.datasource.v1.ExportResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * privacyd's plugin protocol over the shop's database: a thin layer that checks requests,
 * calls {@link ShopStore}, and turns what it says into protocol messages and status codes.
 *
 * <p>Logs carry privacy request ids and counts, never an email address or a name.
 */
final class ShopDataSource extends DataSourceServiceGrpc.DataSourceServiceImplBase {

  private static final Logger LOG = Logger.getLogger(ShopDataSource.class.getName());
  static final String VERSION = buildVersion();

  private final ShopStore store;
  private final String name;

  ShopDataSource(ShopStore store, String name) {
    this.store = store;
    this.name = name;
  }

  /** The pom's version, written into the resource by the build. */
  private static String buildVersion() {
    try (InputStream in = ShopDataSource.class.getResourceAsStream("/reference-datasource.properties")) {
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void describe(DescribeRequest request, StreamObserver<DescribeResponse> response) {
    response.onNext(
        DescribeResponse.newBuilder()
            .setName(name)
            .setVersion(VERSION)
            .setProtocolVersion(1)
            .addCapabilities(Capability.CAPABILITY_EXPORT)
            .addCapabilities(Capability.CAPABILITY_ERASE)
            .addAllCategories(ShopCategories.ALL)
            .build());
    response.onCompleted();
  }

  @Override
  public void export(ExportRequest request, StreamObserver<ExportResponse> response) {
    String email = request.getSubject().getEmail();
    if (email.isBlank()) {
      response.onError(invalid("subject.email is required"));
      return;
    }
    ExportCursor cursor;
    try {
      cursor = store.openExport(email);
    } catch (SQLException e) {
      response.onError(databaseError("export", request.getPrivacyRequestId(), e));
      return;
    }
    new ExportPump(request.getPrivacyRequestId(), cursor,
        (ServerCallStreamObserver<ExportResponse>) response).start();
  }

  /**
   * Sends the cursor's items as fast as privacyd takes them, and no faster: it writes only
   * while the call is ready (gRPC's flow control), and gRPC calls it again when the call is
   * ready once more. Blocking a thread to wait would also block the callbacks of the call,
   * which gRPC runs one at a time. Every callback runs on that same serialised executor, so
   * the fields need no locks.
   */
  private static final class ExportPump {
    private final String requestId;
    private final ExportCursor cursor;
    private final ServerCallStreamObserver<ExportResponse> call;
    private long sent;
    private boolean finished;

    ExportPump(String requestId, ExportCursor cursor, ServerCallStreamObserver<ExportResponse> call) {
      this.requestId = requestId;
      this.cursor = cursor;
      this.call = call;
    }

    void start() {
      call.setOnCancelHandler(this::cancelled);
      // gRPC calls this once the handler has returned if the call is ready by then.
      call.setOnReadyHandler(this::drain);
    }

    private void drain() {
      if (finished) {
        return;
      }
      try {
        while (call.isReady()) {
          // The cancel handler cannot run while this loop does, so look at the deadline
          // and cancellation directly.
          if (Context.current().isCancelled()) {
            cancelled();
            return;
          }
          Optional<ExportItem> item = cursor.next();
          if (item.isEmpty()) {
            finish();
            call.onCompleted();
            LOG.info(() -> "export " + requestId + ": sent " + sent + " items");
            return;
          }
          call.onNext(ExportResponse.newBuilder().setItem(item.get()).build());
          sent++;
        }
      } catch (SQLException e) {
        finish();
        call.onError(databaseError("export", requestId, e));
      } catch (RuntimeException e) {
        finish(); // gRPC fails the call with UNKNOWN; the connection must not leak
        throw e;
      }
    }

    private void cancelled() {
      if (finished) {
        return;
      }
      finish();
      LOG.info(() -> "export " + requestId + ": stopped after " + sent
          + " items: the caller cancelled or its deadline passed");
    }

    private void finish() {
      finished = true;
      try {
        cursor.close();
      } catch (SQLException e) {
        LOG.log(Level.WARNING, "export " + requestId + ": closing the database failed", e);
      }
    }
  }

  @Override
  public void erase(EraseRequest request, StreamObserver<EraseResponse> response) {
    String requestId = request.getPrivacyRequestId();
    String email = request.getSubject().getEmail();
    if (requestId.isBlank()) {
      response.onError(invalid("privacy_request_id is required"));
      return;
    }
    if (email.isBlank()) {
      response.onError(invalid("subject.email is required"));
      return;
    }
    Context context = Context.current();
    ShopStore.Erasure erasure;
    try {
      erasure = store.erase(requestId, email, context::isCancelled);
    } catch (ShopStore.CallerGaveUpException e) {
      Status why = Contexts.statusFromCancelled(context);
      LOG.warning(() -> "erase " + requestId + ": rolled back, the caller gave up ("
          + (why == null ? "cancelled" : why.getCode()) + ")");
      // privacyd no longer listens; the status is for the record.
      response.onError((why == null ? Status.CANCELLED : why).asRuntimeException());
      return;
    } catch (SQLException e) {
      response.onError(databaseError("erase", requestId, e));
      return;
    }
    LOG.info(() -> "erase " + requestId + ": removed " + erasure.itemsRemoved() + ", retained "
        + erasure.itemsRetained()
        + (erasure.replayed()
            ? " (already done: the first answer; " + erasure.deletedAgain() + " left-over items deleted now)"
            : ""));

    EraseResponse.Builder answer =
        EraseResponse.newBuilder()
            .setItemsRemoved(erasure.itemsRemoved())
            .setItemsRetained(erasure.itemsRetained());
    if (erasure.itemsRetained() > 0) {
      answer.addRetentions(ShopCategories.ordersRetention(erasure.itemsRetained()));
    }
    if (erasure.itemsRemoved() == 0 && erasure.itemsRetained() == 0) {
      answer.addMessages("Nothing held about this subject");
    } else {
      answer.addMessages("Profile and comments deleted; orders kept for tax law");
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  /**
   * A busy or locked database clears by itself, so privacyd may retry (UNAVAILABLE); anything
   * else will not (INTERNAL). The details go to the log, not to the caller.
   */
  private static StatusRuntimeException databaseError(String rpc, String requestId, SQLException e) {
    LOG.log(Level.SEVERE, rpc + " " + requestId + ": database error", e);
    if (e instanceof SQLiteException sqlite
        && (sqlite.getResultCode() == SQLiteErrorCode.SQLITE_BUSY
            || sqlite.getResultCode() == SQLiteErrorCode.SQLITE_LOCKED)) {
      return Status.UNAVAILABLE.withDescription("database busy; retry").asRuntimeException();
    }
    return Status.INTERNAL.withDescription("database error; see the source's log").asRuntimeException();
  }
}
