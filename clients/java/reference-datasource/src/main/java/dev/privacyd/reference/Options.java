package dev.privacyd.reference;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The command line, parsed. The flags are the same as those of the Go and Python reference
 * sources, so that the three are started, and scripted, alike.
 *
 * @param host the host to listen on, without brackets for IPv6
 * @param port the port to listen on; 0 picks a free one
 * @param db the SQLite file
 * @param name the name Describe returns
 * @param seeds emails to create demo customers for
 * @param token the bearer token every DataSourceService call must carry, if any
 */
record Options(String host, int port, Path db, String name, List<String> seeds, Optional<String> token) {

  static final String TOKEN_ENV = "REFERENCE_SOURCE_TOKEN";

  static final String USAGE =
      """
      usage: java -jar reference-datasource.jar [--listen HOST:PORT] [--db PATH] [--name NAME]
                                                [--seed EMAIL]... [--token TOKEN]
        --listen HOST:PORT  address to serve on (default 127.0.0.1:7002; port 0 picks one)
        --db PATH           SQLite file, created with the schema if missing (default shop.db)
        --name NAME         the name Describe returns (default java-shop)
        --seed EMAIL        add a demo customer (profile, 2 orders, 3 comments) unless one
                            with this email exists; repeatable
        --token TOKEN       require `authorization: Bearer TOKEN` on every DataSourceService
                            call (health stays open); default $REFERENCE_SOURCE_TOKEN
      """;

  /** A command line that cannot be run; the message says why. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /**
   * Parses {@code --flag value} and {@code --flag=value}.
   *
   * @param env the environment, passed in so that tests need not change the real one
   * @return the options, or empty when help was asked for
   */
  static Optional<Options> parse(String[] args, Map<String, String> env) throws UsageException {
    String listen = "127.0.0.1:7002";
    Path db = Path.of("shop.db");
    String name = "java-shop";
    List<String> seeds = new ArrayList<>();
    String token = env.get(TOKEN_ENV);

    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("-h") || flag.equals("--help")) {
        return Optional.empty();
      }
      String value;
      int equals = flag.indexOf('=');
      if (flag.startsWith("--") && equals > 0) {
        value = flag.substring(equals + 1);
        flag = flag.substring(0, equals);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new UsageException(flag + " needs a value");
      }
      switch (flag) {
        case "--listen" -> listen = value;
        case "--db" -> db = Path.of(value);
        case "--name" -> name = value;
        case "--seed" -> seeds.add(value);
        case "--token" -> token = value;
        default -> throw new UsageException("unknown flag " + flag);
      }
    }

    if (name.isBlank()) {
      throw new UsageException("--name must not be empty");
    }
    for (String seed : seeds) {
      if (!seed.contains("@")) {
        // Not echoed: the value is meant to be an email address, which stays out of logs.
        throw new UsageException("--seed needs an email address");
      }
    }
    int colon = listen.lastIndexOf(':');
    if (colon <= 0) {
      throw new UsageException("--listen must be HOST:PORT, e.g. 127.0.0.1:7002");
    }
    String host = listen.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new UsageException("--listen has no valid port: " + listen);
    }
    if (port < 0 || port > 65535) {
      throw new UsageException("--listen has no valid port: " + listen);
    }
    // An empty token would make every caller "authenticated" by sending "Bearer ".
    Optional<String> required = Optional.ofNullable(token).filter(t -> !t.isEmpty());
    return Optional.of(new Options(host, port, db, name, List.copyOf(seeds), required));
  }
}
