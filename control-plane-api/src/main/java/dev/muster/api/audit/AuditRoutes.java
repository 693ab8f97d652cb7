package dev.muster.api.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.muster.api.http.ApiException;
import dev.muster.api.http.Callers;
import dev.muster.api.http.Cursor;
import dev.muster.api.http.Fields;
import dev.muster.api.http.HttpSettings;
import dev.muster.api.http.JsonSupport;
import dev.muster.api.http.QueryParams;
import dev.muster.config.Caller;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByTagQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * {@code GET /api/v1/audit?workspace=&subject=&since=&cursor=&limit=}: the audit log, oldest first
 * (in journal order), read from the journal by tag on every request: it shows a record once its
 * write has completed and the read journal has seen it.
 *
 * <p>One request reads at most {@code muster.audit.max-scan} journal rows: a selective filter over
 * a long log answers the matches found so far (maybe none) with a {@code next_cursor} to go on, so
 * no request scans the whole log. {@code next_cursor} is null when the log has been read to its
 * end; pass it back as {@code cursor} until then. {@code since} (RFC 3339) filters by the record's
 * time; it does not seek, so a walk from the start of a long log takes several requests.
 *
 * <p>A caller confined to a workspace sees only that workspace's records (asking for another is
 * refused, 403); records of no workspace (node-wide calls) are for unconfined callers only.
 */
public final class AuditRoutes extends AllDirectives {
  private final ActorSystem<?> system;
  private final AuditSettings settings;
  private final QueryParams params;
  private final CurrentEventsByTagQuery journal;

  public AuditRoutes(ActorSystem<?> system, HttpSettings http, AuditSettings settings) {
    this.system = system;
    this.settings = settings;
    this.params = new QueryParams(http);
    this.journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(CurrentEventsByTagQuery.class, settings.readJournal());
  }

  /** One record as the API shows it (its fields), with its place in the journal. */
  record AuditEntry(@JsonUnwrapped AuditRecord record, long offset) {}

  /** The response: a page of records and, when there may be more, the cursor of the next one. */
  record AuditList(
      List<AuditEntry> records, @JsonInclude(JsonInclude.Include.ALWAYS) String nextCursor) {}

  /** {@code audit}, under {@code /api/v1}. */
  public Route route(Caller caller) {
    return path("audit", () -> get(() -> parameterMap(query -> list(caller, query))));
  }

  private Route list(Caller caller, Map<String, String> query) {
    int limit = params.limit(Optional.ofNullable(query.get("limit")));
    AuditScan.Filter filter =
        new AuditScan.Filter(
            Callers.listScope(
                caller,
                QueryParams.given(query, "workspace").map(w -> Fields.name("workspace", w))),
            QueryParams.given(query, "subject").map(s -> Fields.name("subject", s)),
            QueryParams.given(query, "since").map(AuditRoutes::since));
    long after =
        Cursor.decode(Optional.ofNullable(query.get("cursor"))).map(AuditRoutes::offset).orElse(0L);
    return onSuccess(
        read(filter, after, limit),
        page ->
            JsonSupport.completeOk(
                new AuditList(
                    page.records(),
                    Cursor.encode(page.continueAfter().map(String::valueOf)).orElse(null))));
  }

  /** The page after journal offset {@code after}, reading at most max-scan rows. */
  private CompletionStage<AuditScan.Page> read(AuditScan.Filter filter, long after, int limit) {
    return journal
        .currentEventsByTag(AuditLog.TAG, Offset.sequence(after))
        .take(settings.maxScan())
        .scan(AuditScan.start(filter, limit, settings.maxScan(), after), AuditScan::add)
        .takeWhile(scan -> !scan.full(), true)
        .runWith(Sink.last(), system)
        .thenApply(AuditScan::page);
  }

  private static Instant since(String text) {
    try {
      return OffsetDateTime.parse(text.trim()).toInstant();
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(
          "query parameter 'since' must be an RFC 3339 time like 2026-11-30T12:00:00Z, got '"
              + text
              + "'");
    }
  }

  private static long offset(String key) {
    try {
      long offset = Long.parseLong(key);
      if (offset >= 0) {
        return offset;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.invalid("query parameter 'cursor' is not a cursor this API gave out");
  }
}
