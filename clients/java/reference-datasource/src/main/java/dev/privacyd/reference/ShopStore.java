package dev.privacyd.reference;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The shop's SQLite database: its schema, demo data, and the two operations privacy needs,
 * reading everything about a customer and erasing it. No gRPC in here, so that the rules
 * (what is erased, what is kept, idempotency) can be read on their own.
 *
 * <p>Each call opens its own connection: opening SQLite is a file open, cheap next to a
 * pool's moving parts, and a connection is never shared between threads.
 */
final class ShopStore {

  private static final String SCHEMA =
      """
      CREATE TABLE IF NOT EXISTS users (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      -- Keyed by email rather than user id: invoices outlive the account.
      CREATE TABLE IF NOT EXISTS orders (
        id INTEGER PRIMARY KEY,
        customer_email TEXT NOT NULL COLLATE NOCASE,
        customer_name TEXT NOT NULL,
        total_cents INTEGER NOT NULL,
        currency TEXT NOT NULL,
        placed_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS orders_customer_email ON orders (customer_email);
      CREATE TABLE IF NOT EXISTS comments (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users (id),
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS comments_user_id ON comments (user_id);
      -- One row per privacy request erased: what makes Erase idempotent.
      CREATE TABLE IF NOT EXISTS erasures (
        privacy_request_id TEXT PRIMARY KEY,
        items_removed INTEGER NOT NULL,
        items_retained INTEGER NOT NULL,
        erased_at TEXT NOT NULL
      );
      """;

  /**
   * What an erasure answers: what it did, or, replayed, what the first call with its id did.
   *
   * @param deletedAgain on a replay, the profile and comments found and deleted again (after a
   *     correct first call, 0); not part of the answer, which stays the first call's
   */
  record Erasure(long itemsRemoved, long itemsRetained, boolean replayed, long deletedAgain) {}

  /** The caller gave up (deadline or cancellation) before the erasure could commit. */
  static final class CallerGaveUpException extends Exception {
    private static final long serialVersionUID = 1L;

    CallerGaveUpException() {
      super("the caller gave up; the erasure was rolled back");
    }
  }

  private final SQLiteDataSource reads;
  private final SQLiteDataSource writes;

  private ShopStore(Path file) {
    reads = new SQLiteDataSource(config(SQLiteConfig.TransactionMode.DEFERRED));
    reads.setUrl("jdbc:sqlite:" + file);
    // A transaction that reads and then writes must take the write lock up front: upgrading
    // a read lock later fails at once with SQLITE_BUSY, without waiting for the busy timeout.
    writes = new SQLiteDataSource(config(SQLiteConfig.TransactionMode.IMMEDIATE));
    writes.setUrl("jdbc:sqlite:" + file);
  }

  private static SQLiteConfig config(SQLiteConfig.TransactionMode mode) {
    SQLiteConfig config = new SQLiteConfig();
    config.setTransactionMode(mode);
    // WAL lets exports read while an erasure writes; the busy timeout makes writers queue
    // for each other instead of failing.
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setBusyTimeout(5_000);
    config.enforceForeignKeys(true);
    return config;
  }

  /** Opens the database file, creating it and the schema if missing. */
  static ShopStore open(Path file) throws SQLException {
    ShopStore store = new ShopStore(file);
    try (Connection db = store.writes.getConnection();
        Statement statement = db.createStatement()) {
      db.setAutoCommit(false);
      for (String ddl : SCHEMA.split(";")) {
        if (!ddl.isBlank()) {
          statement.execute(ddl);
        }
      }
      db.commit();
    }
    return store;
  }

  /**
   * Adds a demo customer, a profile, 2 orders and 3 comments, unless a customer with this
   * email exists.
   *
   * @return the new customer's id, or empty if one existed
   */
  OptionalLong seed(String email) throws SQLException {
    try (Connection db = writes.getConnection()) {
      db.setAutoCommit(false);
      try (PreparedStatement exists = db.prepareStatement("SELECT 1 FROM users WHERE email = ?")) {
        exists.setString(1, email);
        if (exists.executeQuery().next()) {
          db.rollback();
          return OptionalLong.empty();
        }
      }
      String name = nameFrom(email);
      long userId =
          insert(db, "INSERT INTO users (email, name, created_at) VALUES (?, ?, ?)",
              email, name, "2024-03-04T09:15:00Z");
      insert(db, "INSERT INTO orders (customer_email, customer_name, total_cents, currency, placed_at)"
              + " VALUES (?, ?, ?, ?, ?)",
          email, name, 4990, "EUR", "2024-03-04T09:20:00Z");
      insert(db, "INSERT INTO orders (customer_email, customer_name, total_cents, currency, placed_at)"
              + " VALUES (?, ?, ?, ?, ?)",
          email, name, 1250, "EUR", "2025-01-17T18:42:00Z");
      String comment = "INSERT INTO comments (user_id, body, created_at) VALUES (?, ?, ?)";
      insert(db, comment, userId, "Great coffee, arrived in two days.", "2024-03-09T11:02:00Z");
      insert(db, comment, userId, "The grinder is loud, but it works well.", "2024-06-21T20:30:00Z");
      // Markup on purpose: privacyd must show it as text in the export's index.html.
      insert(db, comment, userId, "Would <b>buy</b> again & recommend.", "2025-01-20T08:05:00Z");
      db.commit();
      return OptionalLong.of(userId);
    }
  }

  /** "jane.doe@example.com" becomes "Jane Doe". */
  private static String nameFrom(String email) {
    String local = email.substring(0, Math.max(email.indexOf('@'), 0));
    String name =
        Arrays.stream(local.split("[._+-]+"))
            .filter(part -> !part.isEmpty())
            .map(part -> part.substring(0, 1).toUpperCase(Locale.ROOT) + part.substring(1))
            .collect(Collectors.joining(" "));
    return name.isEmpty() ? "Demo Customer" : name;
  }

  private static long insert(Connection db, String sql, Object... values) throws SQLException {
    try (PreparedStatement insert = db.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
      for (int i = 0; i < values.length; i++) {
        insert.setObject(i + 1, values[i]);
      }
      insert.executeUpdate();
      try (ResultSet keys = insert.getGeneratedKeys()) {
        keys.next();
        return keys.getLong(1);
      }
    }
  }

  /**
   * Starts reading everything about the customer with this email (compared case-insensitively),
   * in one read transaction, so that an erasure landing halfway cannot show a half-erased
   * customer. The caller must close the cursor.
   */
  ExportCursor openExport(String email) throws SQLException {
    Connection db = reads.getConnection();
    try {
      db.setAutoCommit(false);
      return new ExportCursor(db, email);
    } catch (SQLException | RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /**
   * Erases the customer with this email, in one transaction: deletes their comments and
   * profile, keeps their orders (tax law), and records the erasure under its privacy request
   * id. Called again with the same id it deletes again whatever of the profile and comments is
   * there (after a correct first call, nothing), so that the subject is left with nothing but
   * the retained orders, and returns the recorded counts, not those of the second deletion:
   * privacyd may already have shown the first answer to the operator and the subject.
   *
   * @param callerGaveUp asked just before committing; when true, nothing is committed
   */
  Erasure erase(String privacyRequestId, String email, BooleanSupplier callerGaveUp)
      throws SQLException, CallerGaveUpException {
    try (Connection db = writes.getConnection()) {
      db.setAutoCommit(false);
      try {
        // Under the write lock (BEGIN IMMEDIATE), so that two calls with the same id cannot
        // both see "not done yet".
        Erasure first = null;
        try (PreparedStatement done =
            db.prepareStatement(
                "SELECT items_removed, items_retained FROM erasures WHERE privacy_request_id = ?")) {
          done.setString(1, privacyRequestId);
          ResultSet row = done.executeQuery();
          if (row.next()) {
            first = new Erasure(row.getLong(1), row.getLong(2), true, 0);
          }
        }

        // On a replay too: the contract wants nothing of the subject left outside the retained
        // groups, even if the first call missed something (a bug since fixed, say). This
        // deletion has no other effects to repeat (no messages to other systems, no ledger).
        long removed = 0;
        try (PreparedStatement comments =
                db.prepareStatement(
                    "DELETE FROM comments WHERE user_id IN (SELECT id FROM users WHERE email = ?)");
            PreparedStatement profile = db.prepareStatement("DELETE FROM users WHERE email = ?")) {
          comments.setString(1, email);
          removed += comments.executeUpdate();
          profile.setString(1, email);
          removed += profile.executeUpdate();
        }

        Erasure answer;
        if (first != null) {
          // The recorded answer, unchanged, and the record itself left as it is: privacyd
          // records the answer it receives, so a replay must give the first call's counts
          // (and retentions, built from them) whatever it deleted now.
          answer = new Erasure(first.itemsRemoved(), first.itemsRetained(), true, removed);
        } else {
          long retained;
          try (PreparedStatement orders =
              db.prepareStatement("SELECT COUNT(*) FROM orders WHERE customer_email = ?")) {
            orders.setString(1, email);
            ResultSet row = orders.executeQuery();
            row.next();
            retained = row.getLong(1);
          }
          try (PreparedStatement record =
              db.prepareStatement(
                  "INSERT INTO erasures (privacy_request_id, items_removed, items_retained, erased_at)"
                      + " VALUES (?, ?, ?, ?)")) {
            record.setString(1, privacyRequestId);
            record.setLong(2, removed);
            record.setLong(3, retained);
            record.setString(4, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            record.executeUpdate();
          }
          answer = new Erasure(removed, retained, false, 0);
        }

        // As late as possible, for a replay as for a first call: privacyd treats a call it
        // gave up on as not done and will retry it, so committing now would erase behind its
        // back. (A deadline passing during the commit itself cannot be caught; the erasures
        // row then makes the retry report these same counts.)
        if (callerGaveUp.getAsBoolean()) {
          db.rollback();
          throw new CallerGaveUpException();
        }
        db.commit();
        return answer;
      } catch (SQLException | RuntimeException e) {
        try {
          db.rollback();
        } catch (SQLException rollback) {
          e.addSuppressed(rollback);
        }
        throw e;
      }
    }
  }
}
