package dev.privacyd.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The command line, the same in the Go, Python and Java reference sources. */
class OptionsTest {

  private static Options parse(Map<String, String> env, String... args) throws Options.UsageException {
    return Options.parse(args, env).orElseThrow();
  }

  @Test
  void defaults() throws Exception {
    Options options = parse(Map.of());
    assertEquals("127.0.0.1", options.host());
    assertEquals(7002, options.port());
    assertEquals(Path.of("shop.db"), options.db());
    assertEquals("java-shop", options.name());
    assertEquals(List.of(), options.seeds());
    assertEquals(Optional.empty(), options.token());
  }

  @Test
  void everyFlagInBothSpellings() throws Exception {
    Options options =
        parse(Map.of(), "--listen", "0.0.0.0:9000", "--db=/tmp/x.db", "--name", "billing",
            "--seed", "a@example.com", "--seed=b@example.com", "--token", "t0ken");
    assertEquals("0.0.0.0", options.host());
    assertEquals(9000, options.port());
    assertEquals(Path.of("/tmp/x.db"), options.db());
    assertEquals("billing", options.name());
    assertEquals(List.of("a@example.com", "b@example.com"), options.seeds());
    assertEquals(Optional.of("t0ken"), options.token());
  }

  @Test
  void anIpv6AddressIsWrittenInBrackets() throws Exception {
    Options options = parse(Map.of(), "--listen", "[::1]:0");
    assertEquals("::1", options.host());
    assertEquals(0, options.port());
  }

  @Test
  void theTokenComesFromTheEnvironmentUnlessTheFlagIsGiven() throws Exception {
    Map<String, String> env = Map.of(Options.TOKEN_ENV, "from-env");
    assertEquals(Optional.of("from-env"), parse(env).token());
    assertEquals(Optional.of("from-flag"), parse(env, "--token", "from-flag").token());
    // An empty token would let in anyone who sends "Bearer ".
    assertEquals(Optional.empty(), parse(Map.of(Options.TOKEN_ENV, "")).token());
  }

  @Test
  void helpIsNotAnError() throws Exception {
    assertTrue(Options.parse(new String[] {"--help"}, Map.of()).isEmpty());
  }

  @Test
  void mistakesAreUsageErrors() {
    for (String[] args :
        List.of(
            new String[] {"--listen", "7002"},
            new String[] {"--listen", "localhost:http"},
            new String[] {"--listen", "localhost:70000"},
            new String[] {"--seed", "not-an-email"},
            new String[] {"--name", ""},
            new String[] {"--port", "1"},
            new String[] {"--db"})) {
      assertThrows(Options.UsageException.class, () -> Options.parse(args, Map.of()), String.join(" ", args));
    }
  }
}
