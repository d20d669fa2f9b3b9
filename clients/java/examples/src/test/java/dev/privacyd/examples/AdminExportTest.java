package dev.privacyd.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import dev.privacyd.privacy.v1.CreatePrivacyRequestRequest;
import dev.privacyd.privacy.v1.CreatePrivacyRequestResponse;
import dev.privacyd.privacy.v1.DownloadExportRequest;
import dev.privacyd.privacy.v1.DownloadExportResponse;
import dev.privacyd.privacy.v1.ExportArchiveHeader;
import dev.privacyd.privacy.v1.PrivacyRequest;
import dev.privacyd.privacy.v1.PrivacyRequestServiceGrpc;
import dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest;
import dev.privacyd.privacy.v1.ProcessPrivacyRequestResponse;
import dev.privacyd.privacy.v1.SourceProgress;
import dev.privacyd.privacy.v1.SourceState;
import dev.privacyd.privacy.v1.State;
import dev.privacyd.privacy.v1.WatchPrivacyRequestRequest;
import dev.privacyd.privacy.v1.WatchPrivacyRequestResponse;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin example against a scripted privacyd on a loopback port. */
class AdminExportTest {

  private static final String TOKEN = "admin-token-for-the-test";
  private static final String ID = "0193-request";
  private static final byte[] ARCHIVE = "PK\u0003\u0004 a zip, as far as this test cares".repeat(5000)
      .getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;

  private final FakePrivacyd privacyd = new FakePrivacyd();
  private final Queue<String> authorizations = new ConcurrentLinkedQueue<>();
  private Server server;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  /** privacyd as the test scripts it. */
  private static final class FakePrivacyd extends PrivacyRequestServiceGrpc.PrivacyRequestServiceImplBase {
    volatile State createdIn = State.STATE_CONFIRMED;
    volatile io.grpc.StatusRuntimeException processFails;
    volatile boolean processed;
    volatile List<PrivacyRequest> updates = List.of();
    volatile boolean endWatch = true;
    final CountDownLatch watchCancelled = new CountDownLatch(1);
    volatile String archiveSha256 = sha256(ARCHIVE);

    @Override
    public void createPrivacyRequest(CreatePrivacyRequestRequest request,
        StreamObserver<CreatePrivacyRequestResponse> response) {
      response.onNext(CreatePrivacyRequestResponse.newBuilder().setPrivacyRequest(request(createdIn)).build());
      response.onCompleted();
    }

    @Override
    public void processPrivacyRequest(ProcessPrivacyRequestRequest request,
        StreamObserver<ProcessPrivacyRequestResponse> response) {
      processed = true;
      if (processFails != null) {
        response.onError(processFails);
        return;
      }
      response.onNext(ProcessPrivacyRequestResponse.newBuilder()
          .setPrivacyRequest(request(State.STATE_PROCESSING)).build());
      response.onCompleted();
    }

    @Override
    public void watchPrivacyRequest(WatchPrivacyRequestRequest request,
        StreamObserver<WatchPrivacyRequestResponse> response) {
      ((ServerCallStreamObserver<WatchPrivacyRequestResponse>) response)
          .setOnCancelHandler(watchCancelled::countDown);
      for (PrivacyRequest update : updates) {
        response.onNext(WatchPrivacyRequestResponse.newBuilder().setPrivacyRequest(update).build());
      }
      if (endWatch) {
        response.onCompleted();
      }
    }

    @Override
    public void downloadExport(DownloadExportRequest request, StreamObserver<DownloadExportResponse> response) {
      response.onNext(DownloadExportResponse.newBuilder()
          .setHeader(ExportArchiveHeader.newBuilder()
              .setFileName("privacy-export-" + ID + ".zip")
              .setSizeBytes(ARCHIVE.length)
              .setSha256(archiveSha256))
          .build());
      for (int offset = 0; offset < ARCHIVE.length; offset += 64 * 1024) {
        int length = Math.min(64 * 1024, ARCHIVE.length - offset);
        response.onNext(DownloadExportResponse.newBuilder()
            .setChunk(ByteString.copyFrom(ARCHIVE, offset, length)).build());
      }
      response.onCompleted();
    }
  }

  private static PrivacyRequest request(State state, SourceProgress... sources) {
    return PrivacyRequest.newBuilder().setId(ID).setState(state).addAllSources(List.of(sources)).build();
  }

  private static SourceProgress source(SourceState state, long items) {
    return SourceProgress.newBuilder().setSourceName("java-shop").setState(state).setItems(items).build();
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static io.grpc.StatusRuntimeException illegalTransition(String state) {
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(Code.FAILED_PRECONDITION_VALUE)
        .setMessage("the request is " + state)
        .addDetails(Any.pack(ErrorInfo.newBuilder()
            .setReason("ILLEGAL_TRANSITION").setDomain("privacyd").putMetadata("state", state).build()))
        .build());
  }

  @BeforeEach
  void start() throws Exception {
    ServerInterceptor recordAuthorization =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            authorizations.add(String.valueOf(
                headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER))));
            return next.startCall(call, headers);
          }
        };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(privacyd, recordAuthorization))
        .build()
        .start();
    privacyd.updates = List.of(
        request(State.STATE_PROCESSING),
        request(State.STATE_PROCESSING, source(SourceState.SOURCE_STATE_RUNNING, 0)),
        request(State.STATE_PROCESSING, source(SourceState.SOURCE_STATE_RUNNING, 0)), // no change
        request(State.STATE_PROCESSING, source(SourceState.SOURCE_STATE_SUCCEEDED, 6)),
        request(State.STATE_COMPLETED, source(SourceState.SOURCE_STATE_SUCCEEDED, 6)));
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private int run(String... args) {
    Map<String, String> env = Map.of(
        "PRIVACYD_ADDR", "127.0.0.1:" + server.getPort(), "PRIVACYD_ADMIN_TOKEN", TOKEN);
    return AdminExport.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private List<String> outLines() {
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }

  private List<Path> files() throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }

  @Test
  void createsProcessesWatchesAndDownloadsACheckedArchive() throws Exception {
    assertEquals(0, run("--out", dir.toString(), "jane@example.com"), err.toString(StandardCharsets.UTF_8));

    assertTrue(privacyd.processed);
    Path archive = dir.resolve("privacy-export-" + ID + ".zip");
    assertArrayEquals(ARCHIVE, Files.readAllBytes(archive));
    assertEquals(List.of(archive), files(), "no partial file left behind");
    assertEquals(List.of(
            "request " + ID + " CONFIRMED",
            "PROCESSING",
            "PROCESSING: java-shop RUNNING 0 items",
            "PROCESSING: java-shop SUCCEEDED 6 items",
            "COMPLETED: java-shop SUCCEEDED 6 items",
            "archive " + archive + " " + ARCHIVE.length + " bytes sha256 " + sha256(ARCHIVE)),
        outLines());
    assertEquals(4, authorizations.size(), "create, process, watch and download: " + authorizations);
    assertTrue(authorizations.stream().allMatch(("Bearer " + TOKEN)::equals), authorizations.toString());
  }

  @Test
  void aRequestThatPrivacydAlreadyStartedIsNotStartedAgain() throws Exception {
    privacyd.createdIn = State.STATE_PROCESSING;

    assertEquals(0, run("--out", dir.toString(), "jane@example.com"));
    assertFalse(privacyd.processed);
  }

  @Test
  void losingTheRaceToAutoProcessIsFine() throws Exception {
    privacyd.processFails = illegalTransition("STATE_PROCESSING");

    assertEquals(0, run("--out", dir.toString(), "jane@example.com"), err.toString(StandardCharsets.UTF_8));
    assertTrue(privacyd.processed);
  }

  @Test
  void anyOtherRefusalToProcessFails() throws Exception {
    privacyd.processFails = illegalTransition("STATE_CANCELLED");

    assertEquals(1, run("--out", dir.toString(), "jane@example.com"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("ILLEGAL_TRANSITION"));
    assertEquals(List.of(), files());
  }

  @Test
  void aFailedRequestStopsTheWatchAndExitsOneWithTheReason() throws Exception {
    // privacyd keeps the stream open on FAILED (it is not final); the example must not hang.
    privacyd.endWatch = false;
    privacyd.updates = List.of(
        request(State.STATE_PROCESSING, source(SourceState.SOURCE_STATE_RUNNING, 0)),
        request(State.STATE_FAILED, source(SourceState.SOURCE_STATE_FAILED, 0)).toBuilder()
            .setStateReason("source java-shop failed: Unavailable").build());

    assertEquals(1, run("--out", dir.toString(), "jane@example.com"));

    assertTrue(err.toString(StandardCharsets.UTF_8)
        .contains("ended FAILED: source java-shop failed: Unavailable"), err.toString(StandardCharsets.UTF_8));
    assertTrue(privacyd.watchCancelled.await(5, TimeUnit.SECONDS), "the watch was cancelled, not left open");
    assertEquals(List.of(), files());
  }

  @Test
  void anArchiveThatDoesNotMatchItsHeaderIsNotKept() throws Exception {
    privacyd.archiveSha256 = sha256("something else".getBytes(StandardCharsets.UTF_8));

    assertEquals(1, run("--out", dir.toString(), "jane@example.com"));

    assertTrue(err.toString(StandardCharsets.UTF_8).contains("does not match its header"));
    assertEquals(List.of(), files(), "neither the archive nor a partial file");
  }

  @Test
  void theTokenIsRequired() {
    int code = AdminExport.run(new String[] {"jane@example.com"}, Map.of(),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

    assertEquals(2, code);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("PRIVACYD_ADMIN_TOKEN is required"));
  }
}
