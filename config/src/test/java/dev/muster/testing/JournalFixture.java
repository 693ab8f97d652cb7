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
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
  private static final Map<String, String> TABLES = new LinkedHashMap<>();

  static {
    TABLES.put("event_journal", "\"ordering\"");
    TABLES.put("event_tag", "\"event_id\", \"tag\"");
    TABLES.put("snapshot", "\"persistence_id\", \"sequence_number\"");
  }

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
            String column = meta.getColumnLabel(i).toLowerCase(Locale.ROOT);
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
      Map<String, Integer> types = columnTypes(connection, table);
      for (JsonNode row : root.path(table)) {
        insert(connection, table, types, row);
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

  /** The SQL type of every column of {@code table}, by lower-case name: what a null is sent as. */
  private static Map<String, Integer> columnTypes(Connection connection, String table)
      throws SQLException {
    Map<String, Integer> types = new HashMap<>();
    try (Statement statement = connection.createStatement();
        ResultSet result = statement.executeQuery("SELECT * FROM \"" + table + "\" WHERE 1 = 0")) {
      ResultSetMetaData meta = result.getMetaData();
      for (int i = 1; i <= meta.getColumnCount(); i++) {
        types.put(meta.getColumnLabel(i).toLowerCase(Locale.ROOT), meta.getColumnType(i));
      }
    }
    return types;
  }

  private static void insert(
      Connection connection, String table, Map<String, Integer> types, JsonNode row)
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
          insert.setNull(i, types.getOrDefault(column, Types.OTHER));
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
