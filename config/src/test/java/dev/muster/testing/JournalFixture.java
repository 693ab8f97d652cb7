package dev.muster.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A journal as a file: the rows of the journal, tag and snapshot tables, written by one release of
 * Muster and read back into a fresh database of any kind (H2 or PostgreSQL) by a later one. Binary
 * payloads are base64; every other column keeps its JSON type. The rows are the plugin's own, so a
 * fixture is exactly what a user's database holds after running that release.
 *
 * <p>To write one from a stopped node's embedded database: {@code java -cp <test classpath>
 * dev.muster.testing.JournalFixture <data-dir>/muster <out.json>}.
 */
public final class JournalFixture {
  /** The tables of pekko-persistence-jdbc that hold events, tags and snapshots, in load order. */
  private static final Map<String, String> TABLES =
      new java.util.LinkedHashMap<>(
          Map.of(
              "event_journal", "\"ordering\"",
              "event_tag", "\"event_id\", \"tag\"",
              "snapshot", "\"persistence_id\", \"sequence_number\""));

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private JournalFixture() {}

  public static void main(String[] args) throws Exception {
    try (Connection connection =
        DriverManager.getConnection("jdbc:h2:file:" + args[0] + ";ACCESS_MODE_DATA=r", "", "")) {
      dump(connection, Path.of(args[1]));
    }
  }

  /** Writes every row of the journal's tables to {@code file}. */
  public static void dump(Connection connection, Path file) throws SQLException, IOException {
    ObjectNode root = JSON.createObjectNode();
    for (Map.Entry<String, String> table : TABLES.entrySet()) {
      ArrayNode rows = root.putArray(table.getKey());
      try (Statement statement = connection.createStatement();
          ResultSet result =
              statement.executeQuery(
                  "SELECT * FROM \"" + table.getKey() + "\" ORDER BY " + table.getValue())) {
        ResultSetMetaData meta = result.getMetaData();
        while (result.next()) {
          ObjectNode row = rows.addObject();
          for (int i = 1; i <= meta.getColumnCount(); i++) {
            String column = meta.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT);
            Object value = result.getObject(i);
            if (value == null) {
              row.putNull(column);
            } else if (value instanceof java.sql.Blob || value instanceof byte[]) {
              row.put(column, Base64.getEncoder().encodeToString(result.getBytes(i)));
            } else {
              row.set(column, JSON.valueToTree(value));
            }
          }
        }
      }
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    JSON.writeValue(file.toFile(), root);
  }

  /**
   * Inserts the rows of {@code file} into the (migrated, empty) journal tables of {@code
   * connection}, then moves the journal's ordering past them so that new events follow.
   */
  public static void load(Connection connection, Path file) throws SQLException, IOException {
    JsonNode root = JSON.readTree(file.toFile());
    for (String table : TABLES.keySet()) {
      for (JsonNode row : root.path(table)) {
        insert(connection, table, row);
      }
    }
    long last =
        root.path("event_journal").findValues("ordering").stream()
            .mapToLong(JsonNode::asLong)
            .max()
            .orElse(0);
    try (Statement statement = connection.createStatement()) {
      if (connection.getMetaData().getURL().startsWith("jdbc:postgresql:")) {
        statement.execute(
            "SELECT setval(pg_get_serial_sequence('event_journal', 'ordering'), " + last + ")");
      } else {
        statement.execute(
            "ALTER TABLE \"event_journal\" ALTER COLUMN \"ordering\" RESTART WITH " + (last + 1));
      }
    }
  }

  private static void insert(Connection connection, String table, JsonNode row)
      throws SQLException {
    List<String> columns = new ArrayList<>();
    row.fieldNames().forEachRemaining(columns::add);
    String sql =
        "INSERT INTO \""
            + table
            + "\" ("
            + String.join(", ", columns.stream().map(c -> "\"" + c + "\"").toList())
            + ") VALUES ("
            + String.join(", ", columns.stream().map(c -> "?").toList())
            + ")";
    try (PreparedStatement insert = connection.prepareStatement(sql)) {
      Iterator<String> names = columns.iterator();
      for (int i = 1; names.hasNext(); i++) {
        String column = names.next();
        JsonNode value = row.get(column);
        if (value.isNull()) {
          insert.setNull(i, column.endsWith("payload") ? Types.BINARY : Types.VARCHAR);
        } else if (column.endsWith("payload")) {
          insert.setBytes(i, Base64.getDecoder().decode(value.asText()));
        } else if (value.isBoolean()) {
          insert.setBoolean(i, value.asBoolean());
        } else if (value.isIntegralNumber()) {
          insert.setLong(i, value.asLong());
        } else {
          insert.setString(i, value.asText());
        }
      }
      insert.executeUpdate();
    }
  }
}
