package dev.privacyd.reference;

import java.io.IOException;
import java.sql.SQLException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The command line: a thin shell that parses flags, opens the database and runs the server.
 *
 * <pre>
 * java -jar reference-datasource.jar --listen 127.0.0.1:7002 --db shop.db --seed jane@example.com
 * </pre>
 */
public final class Main {

  static {
    // One line per record on stderr (the JDK's default takes two). Set before any logger
    // exists, since the formatter reads it once; -D on the command line still wins.
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format",
          "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n");
    }
  }

  private static final Logger LOG = Logger.getLogger(Main.class.getName());

  public static void main(String[] args) {
    Optional<Options> parsed;
    try {
      parsed = Options.parse(args, System.getenv());
    } catch (Options.UsageException e) {
      System.err.println("reference-datasource: " + e.getMessage());
      System.err.print(Options.USAGE);
      System.exit(2);
      return;
    }
    if (parsed.isEmpty()) {
      System.out.print(Options.USAGE);
      return;
    }
    Options options = parsed.get();

    ReferenceServer server;
    try {
      ShopStore store = ShopStore.open(options.db());
      for (String email : options.seeds()) {
        OptionalLong created = store.seed(email);
        // The customer's id, not the email: logs never hold personal data.
        LOG.info(() -> created.isPresent()
            ? "seeded demo customer user-" + created.getAsLong()
            : "a --seed customer exists already; left as it is");
      }
      server = ReferenceServer.start(options.host(), options.port(),
          new ShopDataSource(store, options.name()).bindService(), options.token());
    } catch (IOException | SQLException e) {
      LOG.log(Level.SEVERE, "cannot start", e);
      System.exit(1);
      return;
    }

    // SIGTERM and SIGINT run shutdown hooks; the JVM exits once this one has returned, so it
    // waits for the calls in flight. It writes to stderr itself: java.util.logging's own hook
    // removes the log handlers at the same time, and log records would be lost.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println("stopping: finishing the calls in flight");
      server.stop();
      System.err.println("stopped");
    }, "shutdown"));

    // The one line on stdout: scripts and tests wait for it to know the port.
    System.out.println("listening on " + server.address());
    System.out.flush();
    LOG.info(() -> "serving " + options.name() + " " + ShopDataSource.VERSION
        + (options.token().isPresent() ? " with a bearer token" : " without authentication"));
    try {
      server.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Main() {}
}
