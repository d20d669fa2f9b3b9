package dev.privacyd.reference;

import dev.privacyd.privacy.datasource.v1.ExportItem;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * Everything the shop holds about one customer, read a row at a time: the profile, then the
 * orders, then the comments. Rows are read only as the caller asks for items, so a customer
 * with a million comments costs no more memory than one with three.
 *
 * <p>Not thread-safe: one export uses it from one thread at a time.
 */
final class ExportCursor implements AutoCloseable {

  /** One query per category, and how one of its rows becomes an export item. */
  private record Group(String sql, RowMapper mapper) {}

  @FunctionalInterface
  private interface RowMapper {
    ExportItem map(ResultSet row) throws SQLException;
  }

  private static final List<Group> GROUPS =
      List.of(
          new Group(
              "SELECT id, email, name, created_at FROM users WHERE email = ?",
              row ->
                  ShopCategories.item(
                      ShopCategories.PROFILE,
                      "user-" + row.getLong("id"),
                      "Email", row.getString("email"),
                      "Name", row.getString("name"),
                      "Member since", row.getString("created_at"))),
          new Group(
              "SELECT id, customer_email, customer_name, total_cents, currency, placed_at"
                  + " FROM orders WHERE customer_email = ? ORDER BY id",
              row ->
                  ShopCategories.item(
                      ShopCategories.ORDERS,
                      "order-" + row.getLong("id"),
                      "Order number", Long.toString(row.getLong("id")),
                      "Total",
                          BigDecimal.valueOf(row.getLong("total_cents"), 2).toPlainString()
                              + " " + row.getString("currency"),
                      "Placed at", row.getString("placed_at"),
                      "Billing name", row.getString("customer_name"),
                      "Billing email", row.getString("customer_email"))),
          new Group(
              "SELECT comments.id, comments.body, comments.created_at FROM comments"
                  + " JOIN users ON users.id = comments.user_id"
                  + " WHERE users.email = ? ORDER BY comments.id",
              row ->
                  ShopCategories.item(
                      ShopCategories.COMMENTS,
                      "comment-" + row.getLong("id"),
                      "Comment", row.getString("body"),
                      "Posted at", row.getString("created_at"))));

  private final Connection db;
  private final String email;
  private int group = -1;
  private PreparedStatement statement;
  private ResultSet rows;

  /** Takes over {@code db}, which must be in a transaction: close() ends both. */
  ExportCursor(Connection db, String email) {
    this.db = db;
    this.email = email;
  }

  /** The next item, or empty when everything has been read. */
  Optional<ExportItem> next() throws SQLException {
    while (true) {
      if (rows != null && rows.next()) {
        return Optional.of(GROUPS.get(group).mapper().map(rows));
      }
      closeQuery();
      if (++group >= GROUPS.size()) {
        return Optional.empty();
      }
      statement = db.prepareStatement(GROUPS.get(group).sql());
      statement.setString(1, email);
      rows = statement.executeQuery();
    }
  }

  private void closeQuery() throws SQLException {
    if (statement != null) {
      statement.close(); // closes its result set too
      statement = null;
      rows = null;
    }
  }

  @Override
  public void close() throws SQLException {
    try {
      closeQuery();
      db.rollback(); // nothing was written; this only ends the read transaction
    } finally {
      db.close();
    }
  }
}
