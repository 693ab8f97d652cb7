package dev.muster.config.persistence;

import com.typesafe.config.Config;
import dev.muster.config.Settings;
import dev.muster.config.SettingsException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The journal's database. An empty {@code muster.db.url} means the embedded H2 database in file
 * mode under the data directory; a {@code jdbc:postgresql:} URL means PostgreSQL.
 *
 * <p>On PostgreSQL every connection of the journal's pool is opened with a statement timeout
 * ({@code muster.db.statement-timeout}: a runaway query is cancelled by the server instead of
 * outliving its node and holding an old snapshot) and with custom plans only (see {@link
 * #jdbcUrl()}). The migrations lift the timeout again ({@link JournalMigrations}).
 */
public record DatabaseSettings(
    DatabaseProfile profile,
    String url,
    String user,
    String password,
    Optional<String> schema,
    int poolSize,
    Duration connectionTimeout,
    Duration queryRefreshInterval,
    Duration statementTimeout) {

  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  public static DatabaseSettings from(Config muster, Path dataDir) {
    String configured = Settings.string(muster, "db.url");
    String url = configured.isEmpty() ? embeddedUrl(dataDir) : configured;
    DatabaseProfile profile =
        DatabaseProfile.ofUrl(url)
            .orElseThrow(
                () ->
                    new SettingsException(
                        "db.url",
                        "only jdbc:h2: and jdbc:postgresql: URLs are supported, got '"
                            + url
                            + "'"));
    String schemaText = Settings.string(muster, "db.schema");
    Optional<String> schema = schemaText.isEmpty() ? Optional.empty() : Optional.of(schemaText);
    if (schema.isPresent()) {
      if (profile != DatabaseProfile.POSTGRES) {
        throw new SettingsException("db.schema", "a schema can only be chosen on PostgreSQL");
      }
      if (!SCHEMA.matcher(schemaText).matches()) {
        throw new SettingsException(
            "db.schema", "lower-case letters, digits and _ only, got '" + schemaText + "'");
      }
    }
    return new DatabaseSettings(
        profile,
        url,
        Settings.string(muster, "db.user"),
        Settings.read(muster, "db.password", muster::getString),
        schema,
        Settings.positiveInt(muster, "db.pool-size"),
        Settings.positiveDuration(muster, "db.connection-timeout"),
        Settings.positiveDuration(muster, "db.query-refresh-interval"),
        statementTimeout(muster));
  }

  private static Duration statementTimeout(Config muster) {
    Duration timeout = Settings.positiveDuration(muster, "db.statement-timeout");
    // PostgreSQL counts whole milliseconds, and 0 would switch the timeout off.
    if (timeout.toMillis() < 1) {
      throw new SettingsException(
          "db.statement-timeout", "must be at least 1ms, got " + timeout.toNanos() + "ns");
    }
    return timeout;
  }

  private static String embeddedUrl(Path dataDir) {
    // DB_CLOSE_ON_EXIT=FALSE: the node closes the database itself, after the journal has stopped.
    return "jdbc:h2:file:" + dataDir.resolve("muster") + ";DB_CLOSE_ON_EXIT=FALSE";
  }

  /**
   * The URL the journal connects with. On PostgreSQL: the schema as search path, batched inserts
   * rewritten, and session settings in pgjdbc's {@code options} (after the URL's own): {@code
   * statement_timeout} from {@code muster.db.statement-timeout}, and {@code plan_cache_mode =
   * force_custom_plan}.
   *
   * <p>Custom plans only: pgjdbc prepares a statement on the server from its 5th execution on a
   * connection, and after 5 more PostgreSQL may switch to a generic plan, cached on the connection
   * until the tables are analyzed again. The read journal polls its eventsByTag query every refresh
   * interval from the node's start, so the generic plan is made on an empty, never analyzed
   * journal, where every join order costs the same; the one it took probed event_tag by the tag
   * alone for every journal row in the range, reading the tag's index from its start each time (4-9
   * s per query of 500 events at 40-60k participants, growing with the journal). A custom plan is
   * made for the parameters and the tables' current size on every execution (see
   * bench/measured/2026-11-21/scale-100k.md).
   */
  public String jdbcUrl() {
    if (profile != DatabaseProfile.POSTGRES) {
      return url;
    }
    StringBuilder effective = new StringBuilder(url);
    if (!url.contains("reWriteBatchedInserts")) {
      effective.append(url.contains("?") ? '&' : '?').append("reWriteBatchedInserts=true");
    }
    schema.ifPresent(s -> effective.append('&').append("currentSchema=").append(s));
    return withOptions(
        effective.toString(),
        "-c statement_timeout="
            + statementTimeout.toMillis()
            + " -c plan_cache_mode=force_custom_plan");
  }

  /** {@code url} with {@code options} appended to its pgjdbc {@code options} parameter. */
  private static String withOptions(String url, String options) {
    int query = url.indexOf('?');
    if (query < 0) {
      return url
          + "?options="
          + URLEncoder.encode(options, StandardCharsets.UTF_8).replace("+", "%20");
    }
    List<String> parameters = new ArrayList<>(List.of(url.substring(query + 1).split("&")));
    String merged = options;
    for (int i = 0; i < parameters.size(); i++) {
      if (parameters.get(i).startsWith("options=")) {
        String own =
            URLDecoder.decode(
                parameters.remove(i).substring("options=".length()), StandardCharsets.UTF_8);
        merged = own.isBlank() ? options : own.strip() + " " + options;
        break;
      }
    }
    parameters.add(
        "options=" + URLEncoder.encode(merged, StandardCharsets.UTF_8).replace("+", "%20"));
    return url.substring(0, query + 1) + String.join("&", parameters);
  }

  public boolean embedded() {
    return profile == DatabaseProfile.H2;
  }

  /** The URL without credentials or options, for logs. */
  public String describe() {
    int options = url.indexOf(profile == DatabaseProfile.H2 ? ';' : '?');
    String base = options < 0 ? url : url.substring(0, options);
    return base + schema.map(s -> " (schema " + s + ")").orElse("");
  }
}
