package dev.privacyd.reference;

import dev.privacyd.privacy.datasource.v1.DataSourceServiceGrpc;
import dev.privacyd.privacy.datasource.v1.DataSourceServiceGrpc.DataSourceServiceBlockingStub;
import dev.privacyd.privacy.datasource.v1.EraseRequest;
import dev.privacyd.privacy.datasource.v1.EraseResponse;
import dev.privacyd.privacy.datasource.v1.ExportItem;
import dev.privacyd.privacy.datasource.v1.ExportRequest;
import dev.privacyd.privacy.datasource.v1.Subject;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The reference source as privacyd meets it: the real server on a free loopback port, over a
 * SQLite file in a temporary folder, with a channel to it.
 */
final class TestSource implements AutoCloseable {

  static final String JANE = "jane@example.com";
  static final String NAME = "java-shop";

  final Path db;
  final ShopStore store;
  private final ReferenceServer server;
  private final ManagedChannel channel;

  private TestSource(Path db, ShopStore store, ReferenceServer server, ManagedChannel channel) {
    this.db = db;
    this.store = store;
    this.server = server;
    this.channel = channel;
  }

  /** A source with Jane seeded and no token. */
  static TestSource start(Path dir) throws IOException, SQLException {
    return start(dir, Optional.empty());
  }

  /**
   * @param interceptors wrapped around the data source service, inside the token check
   */
  static TestSource start(Path dir, Optional<String> token, ServerInterceptor... interceptors)
      throws IOException, SQLException {
    Path db = dir.resolve("shop.db");
    ShopStore store = ShopStore.open(db);
    store.seed(JANE);
    ReferenceServer server =
        ReferenceServer.start("127.0.0.1", 0,
            ServerInterceptors.intercept(new ShopDataSource(store, NAME), interceptors), token);
    ManagedChannel channel =
        Grpc.newChannelBuilder(server.address(), InsecureChannelCredentials.create()).build();
    return new TestSource(db, store, server, channel);
  }

  ManagedChannel channel() {
    return channel;
  }

  /** A stub that sends no token. */
  DataSourceServiceBlockingStub stub() {
    return DataSourceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  DataSourceServiceBlockingStub stub(String token) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return stub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  static Subject subject(String email) {
    return Subject.newBuilder().setEmail(email).build();
  }

  /** Everything Export streams for the subject. */
  List<ExportItem> export(String email) {
    return export(stub(), email);
  }

  static List<ExportItem> export(DataSourceServiceBlockingStub stub, String email) {
    List<ExportItem> items = new ArrayList<>();
    stub.export(ExportRequest.newBuilder().setPrivacyRequestId("export-test").setSubject(subject(email)).build())
        .forEachRemaining(response -> items.add(response.getItem()));
    return items;
  }

  EraseResponse erase(String privacyRequestId, String email) {
    return stub().erase(eraseRequest(privacyRequestId, email));
  }

  static EraseRequest eraseRequest(String privacyRequestId, String email) {
    return EraseRequest.newBuilder().setPrivacyRequestId(privacyRequestId).setSubject(subject(email)).build();
  }

  static List<String> itemIds(List<ExportItem> items) {
    return items.stream().map(ExportItem::getItemId).toList();
  }

  /** Every row of every table, to show that a call changed nothing. */
  Map<String, List<String>> snapshot() throws SQLException {
    Map<String, List<String>> tables = new LinkedHashMap<>();
    try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement statement = connection.createStatement()) {
      for (String table : List.of("users", "orders", "comments", "erasures")) {
        List<String> rows = new ArrayList<>();
        try (ResultSet row = statement.executeQuery("SELECT * FROM " + table + " ORDER BY 1")) {
          ResultSetMetaData columns = row.getMetaData();
          while (row.next()) {
            List<String> values = new ArrayList<>();
            for (int i = 1; i <= columns.getColumnCount(); i++) {
              values.add(columns.getColumnName(i) + "=" + row.getString(i));
            }
            rows.add(String.join(" ", values));
          }
        }
        tables.put(table, rows);
      }
    }
    return tables;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.stop();
  }
}
