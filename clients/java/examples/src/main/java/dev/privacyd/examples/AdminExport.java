package dev.privacyd.examples;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.privacyd.privacy.v1.Action;
import dev.privacyd.privacy.v1.CreatePrivacyRequestRequest;
import dev.privacyd.privacy.v1.DownloadExportRequest;
import dev.privacyd.privacy.v1.DownloadExportResponse;
import dev.privacyd.privacy.v1.ExportArchiveHeader;
import dev.privacyd.privacy.v1.GetPrivacyRequestRequest;
import dev.privacyd.privacy.v1.PrivacyRequest;
import dev.privacyd.privacy.v1.PrivacyRequestServiceGrpc;
import dev.privacyd.privacy.v1.PrivacyRequestServiceGrpc.PrivacyRequestServiceBlockingStub;
import dev.privacyd.privacy.v1.ProcessPrivacyRequestRequest;
import dev.privacyd.privacy.v1.SourceProgress;
import dev.privacyd.privacy.v1.State;
import dev.privacyd.privacy.v1.Subject;
import dev.privacyd.privacy.v1.WatchPrivacyRequestRequest;
import dev.privacyd.privacy.v1.WatchPrivacyRequestResponse;
import io.grpc.ChannelCredentials;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Exports everything privacyd's data sources hold about one person, as an operator would
 * whose identity checks are done: create the request confirmed, start it, follow it, and
 * download the archive.
 *
 * <pre>
 * PRIVACYD_ADMIN_TOKEN=... java -jar admin-export.jar [--out PATH] jane@example.com
 * </pre>
 *
 * <p>PRIVACYD_ADDR is privacyd's address (default 127.0.0.1:50051). PRIVACYD_CA_FILE, when
 * set, is a PEM file of the CA(s) that issued privacyd's TLS certificate (privacyd started with
 * --tls-cert): the program then connects over TLS and checks the certificate against them;
 * without it, plaintext. Exits 0 with the archive
 * saved, 1 if the request ends FAILED, DENIED, CANCELLED or EXPIRED or a call fails, 2 on a
 * wrong command line. The subject's email is never printed: this output ends up in logs.
 */
public final class AdminExport {

  private static final String USAGE =
      """
      usage: java -jar admin-export.jar [--out PATH] EMAIL
        EMAIL       the subject whose data to export
        --out PATH  a folder to save the archive in, or a file name (default: this folder)
      environment:
        PRIVACYD_ADDR         privacyd's address (default 127.0.0.1:50051)
        PRIVACYD_ADMIN_TOKEN  an admin token (required)
        PRIVACYD_CA_FILE      PEM CA of privacyd's TLS certificate (default: plaintext)
      """;

  /** Unary calls are quick; a stuck network should not hang the program. */
  private static final long CALL_TIMEOUT_SECONDS = 30;

  /** States after which the request will not complete without an operator. */
  private static final Set<State> GIVE_UP =
      EnumSet.of(State.STATE_FAILED, State.STATE_DENIED, State.STATE_CANCELLED, State.STATE_EXPIRED);

  /** A failure to report and exit 1 with. */
  private static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }
  }

  private final PrivacyRequestServiceBlockingStub privacyd;
  private final PrintStream out;

  private AdminExport(PrivacyRequestServiceBlockingStub privacyd, PrintStream out) {
    this.privacyd = privacyd;
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.out, System.err));
  }

  /**
   * The whole program, with its environment and output passed in so that tests can run it.
   *
   * @return the exit code
   */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    String email = null;
    Path saveTo = Path.of("");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "-h", "--help" -> {
          out.print(USAGE);
          return 0;
        }
        case "--out" -> {
          if (++i == args.length) {
            return usage(err, "--out needs a path");
          }
          saveTo = Path.of(args[i]);
        }
        default -> {
          if (args[i].startsWith("-") || email != null) {
            return usage(err, "unexpected argument " + args[i]);
          }
          email = args[i];
        }
      }
    }
    if (email == null) {
      return usage(err, "the subject's email is required");
    }
    String token = env.getOrDefault("PRIVACYD_ADMIN_TOKEN", "");
    if (token.isEmpty()) {
      return usage(err, "PRIVACYD_ADMIN_TOKEN is required");
    }
    String address = env.getOrDefault("PRIVACYD_ADDR", "127.0.0.1:50051");

    // Plaintext unless a CA is given: privacyd on loopback, or behind a TLS-terminating proxy.
    ChannelCredentials credentials = InsecureChannelCredentials.create();
    String caFile = env.getOrDefault("PRIVACYD_CA_FILE", "");
    if (!caFile.isEmpty()) {
      try {
        credentials = TlsChannelCredentials.newBuilder().trustManager(new java.io.File(caFile)).build();
      } catch (IOException e) {
        err.println("PRIVACYD_CA_FILE " + caFile + ": " + e.getMessage());
        return 1;
      }
    }
    ManagedChannel channel = Grpc.newChannelBuilder(address, credentials).build();
    try {
      Metadata auth = new Metadata();
      auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
      PrivacyRequestServiceBlockingStub privacyd =
          PrivacyRequestServiceGrpc.newBlockingStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth));
      new AdminExport(privacyd, out).export(email, saveTo);
      return 0;
    } catch (Failure e) {
      err.println(e.getMessage());
      return 1;
    } catch (StatusRuntimeException e) {
      err.println("privacyd: " + describe(e));
      return 1;
    } catch (IOException e) {
      err.println("cannot save the archive: " + e.getMessage());
      return 1;
    } finally {
      channel.shutdownNow();
    }
  }

  private static int usage(PrintStream err, String problem) {
    err.println("admin-export: " + problem);
    err.print(USAGE);
    return 2;
  }

  private void export(String email, Path saveTo) throws Failure, IOException {
    // A fresh request_id per run: were this call retried (after a lost reply, say), privacyd
    // would return the request it created rather than refuse a duplicate.
    PrivacyRequest request =
        unary()
            .createPrivacyRequest(
                CreatePrivacyRequestRequest.newBuilder()
                    .setSubject(Subject.newBuilder().setEmail(email))
                    .setAction(Action.ACTION_EXPORT)
                    .setSendConfirmation(false) // the operator has verified who is asking
                    .setRequestId(UUID.randomUUID().toString())
                    .build())
            .getPrivacyRequest();
    String id = request.getId();
    out.println("request " + id + " " + name(request.getState()));

    if (request.getState() == State.STATE_CONFIRMED) {
      process(id);
    }

    PrivacyRequest done = watch(id);
    if (GIVE_UP.contains(done.getState())) {
      throw new Failure("request " + id + " ended " + name(done.getState()) + ": "
          + done.getStateReason());
    }
    if (done.getState() != State.STATE_COMPLETED) {
      throw new Failure("the watch ended while request " + id + " was " + name(done.getState()));
    }
    download(id, saveTo);
  }

  /**
   * Starts the export. A privacyd run with --auto-process starts it itself as soon as it is
   * confirmed, so losing that race (ILLEGAL_TRANSITION from PROCESSING or later) is success.
   */
  private void process(String id) {
    try {
      unary().processPrivacyRequest(ProcessPrivacyRequestRequest.newBuilder().setId(id).build());
    } catch (StatusRuntimeException e) {
      Optional<ErrorInfo> info = errorInfo(e);
      String state = info.map(i -> i.getMetadataOrDefault("state", "")).orElse("");
      boolean alreadyStarted =
          info.map(i -> i.getReason().equals("ILLEGAL_TRANSITION")).orElse(false)
              && (state.equals("STATE_PROCESSING") || state.equals("STATE_COMPLETED"));
      if (!alreadyStarted) {
        throw e;
      }
    }
  }

  /**
   * Follows the request until it completes or needs an operator, printing a line whenever its
   * state or a source's progress changes. FAILED is not final (the request can be processed
   * again), so privacyd keeps the stream open past it: the example stops watching there.
   */
  private PrivacyRequest watch(String id) throws Failure {
    Context.CancellableContext call = Context.current().withCancellation();
    Context outer = call.attach();
    try {
      Iterator<WatchPrivacyRequestResponse> updates =
          privacyd.watchPrivacyRequest(WatchPrivacyRequestRequest.newBuilder().setId(id).build());
      String printed = "";
      while (updates.hasNext()) {
        WatchPrivacyRequestResponse update = updates.next();
        if (!update.hasPrivacyRequest()) {
          throw new Failure("request " + id + " was deleted while being watched");
        }
        PrivacyRequest request = update.getPrivacyRequest();
        String line = progress(request);
        if (!line.equals(printed)) {
          out.println(line);
          printed = line;
        }
        if (request.getState() == State.STATE_COMPLETED || GIVE_UP.contains(request.getState())) {
          return request;
        }
      }
    } finally {
      endStream(call, outer);
    }
    // privacyd ends the stream itself only after a final state; ask where the request is.
    return unary()
        .getPrivacyRequest(GetPrivacyRequestRequest.newBuilder().setId(id).build())
        .getPrivacyRequest();
  }

  /** "PROCESSING: java-shop SUCCEEDED 6 items, billing RUNNING 2 items". */
  private static String progress(PrivacyRequest request) {
    String sources =
        request.getSourcesList().stream()
            .map(AdminExport::progress)
            .collect(Collectors.joining(", "));
    return name(request.getState()) + (sources.isEmpty() ? "" : ": " + sources);
  }

  private static String progress(SourceProgress source) {
    String line = source.getSourceName() + " " + name(source.getState()) + " " + source.getItems() + " items";
    return source.getLastError().isEmpty() ? line : line + " (last error: " + source.getLastError() + ")";
  }

  /** Downloads the archive, checks it against the header, and only then gives it its name. */
  private void download(String id, Path saveTo) throws Failure, IOException {
    Context.CancellableContext call = Context.current().withCancellation();
    Context outer = call.attach();
    try {
      // An empty token: the admin token in the metadata is the credential.
      Iterator<DownloadExportResponse> stream =
          privacyd.downloadExport(DownloadExportRequest.newBuilder().setId(id).build());
      if (!stream.hasNext()) {
        throw new Failure("DownloadExport sent nothing");
      }
      DownloadExportResponse first = stream.next();
      if (!first.hasHeader()) {
        throw new Failure("DownloadExport did not start with a header");
      }
      ExportArchiveHeader header = first.getHeader();
      Path target = target(saveTo, header.getFileName(), id);
      Path partial = target.resolveSibling(target.getFileName() + ".part");

      MessageDigest sha256 = sha256();
      long size = 0;
      try (OutputStream file = new DigestOutputStream(Files.newOutputStream(partial), sha256)) {
        while (stream.hasNext()) {
          DownloadExportResponse message = stream.next();
          if (!message.hasChunk()) {
            throw new Failure("DownloadExport sent a second header");
          }
          message.getChunk().writeTo(file);
          size += message.getChunk().size();
        }
      } catch (Failure | IOException | RuntimeException e) {
        Files.deleteIfExists(partial);
        throw e;
      }
      String digest = HexFormat.of().formatHex(sha256.digest());
      if (size != header.getSizeBytes() || !digest.equals(header.getSha256())) {
        Files.deleteIfExists(partial);
        throw new Failure("the archive does not match its header: got " + size + " bytes sha256 "
            + digest + ", expected " + header.getSizeBytes() + " bytes sha256 " + header.getSha256());
      }
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      out.println("archive " + target + " " + size + " bytes sha256 " + digest);
    } finally {
      endStream(call, outer);
    }
  }

  /**
   * Where to save: into {@code saveTo} if it is a folder, else as {@code saveTo}. privacyd's
   * file name is reduced to its last part, so that it cannot point outside the folder.
   */
  private static Path target(Path saveTo, String fileName, String id) {
    if (!saveTo.toString().isEmpty() && !Files.isDirectory(saveTo)) {
      return saveTo;
    }
    Path name = fileName.isEmpty() ? null : Path.of(fileName).getFileName();
    if (name == null || name.toString().equals("..")) {
      name = Path.of("privacy-export-" + id + ".zip");
    }
    return saveTo.resolve(name);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  private PrivacyRequestServiceBlockingStub unary() {
    return privacyd.withDeadlineAfter(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /**
   * Ends a streaming call started in {@code call}. A blocking stub's stream stays open when
   * the caller stops reading early (on FAILED, or on an error), holding privacyd's resources
   * until the channel closes; cancelling the context it was started in ends it.
   */
  private static void endStream(Context.CancellableContext call, Context outer) {
    call.detach(outer);
    call.cancel(null);
  }

  /** The stable reason privacyd puts in google.rpc.ErrorInfo, if there is one. */
  private static Optional<ErrorInfo> errorInfo(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return Optional.empty();
    }
    return status.getDetailsList().stream()
        .filter(any -> any.is(ErrorInfo.class))
        .findFirst()
        .flatMap(any -> {
          try {
            return Optional.of(any.unpack(ErrorInfo.class));
          } catch (InvalidProtocolBufferException malformed) {
            return Optional.empty();
          }
        });
  }

  private static String describe(StatusRuntimeException e) {
    Status status = e.getStatus();
    String reason =
        errorInfo(e)
            .map(info -> " [" + info.getReason()
                + (info.getMetadataMap().isEmpty() ? "" : " " + info.getMetadataMap()) + "]")
            .orElse("");
    return status.getCode() + ": " + status.getDescription() + reason;
  }

  /** STATE_PROCESSING and SOURCE_STATE_RUNNING read as PROCESSING and RUNNING. */
  private static String name(Enum<?> value) {
    return value.name().replaceFirst("^(SOURCE_)?STATE_", "");
  }
}
