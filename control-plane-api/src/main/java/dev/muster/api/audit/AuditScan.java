package dev.muster.api.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Sequence;

/**
 * One read of the audit log, folded row by row over the journal in offset order: which rows match
 * the filter, how many were read, where the read got to. A read stops at {@code limit + 1} matches
 * (the extra one only tells that there are more) or at {@code max-scan} rows, whichever comes
 * first; {@link #page} then says where the next read starts.
 */
record AuditScan(
    Filter filter,
    int limit,
    int maxScan,
    List<AuditRoutes.AuditEntry> matches,
    int scanned,
    long lastOffset) {

  /** What a caller asks to see; an empty part matches everything. */
  record Filter(Optional<String> workspace, Optional<String> subject, Optional<Instant> since) {
    boolean matches(AuditRecord record) {
      return workspace.map(w -> record.workspace().equals(Optional.of(w))).orElse(true)
          && subject.map(record.subject()::equals).orElse(true)
          && since.map(s -> !record.time().isBefore(s)).orElse(true);
    }
  }

  /** The answer: the records of this page and, when there may be more, where to go on after. */
  record Page(List<AuditRoutes.AuditEntry> records, Optional<Long> continueAfter) {}

  static AuditScan start(Filter filter, int limit, int maxScan, long after) {
    return new AuditScan(filter, limit, maxScan, List.of(), 0, after);
  }

  /** The scan after one more journal row. */
  AuditScan add(EventEnvelope row) {
    long offset = ((Sequence) row.offset()).value();
    List<AuditRoutes.AuditEntry> next = matches;
    if (row.event() instanceof AuditRecord record && filter.matches(record)) {
      next = new ArrayList<>(matches);
      next.add(new AuditRoutes.AuditEntry(record, offset));
    }
    return new AuditScan(filter, limit, maxScan, next, scanned + 1, offset);
  }

  /** Enough matches to fill the page and know there are more. */
  boolean full() {
    return matches.size() > limit;
  }

  Page page() {
    if (full()) {
      List<AuditRoutes.AuditEntry> records = List.copyOf(matches.subList(0, limit));
      return new Page(records, Optional.of(records.get(limit - 1).offset()));
    }
    // All max-scan rows read: the log may go on beyond them.
    Optional<Long> more = scanned >= maxScan ? Optional.of(lastOffset) : Optional.empty();
    return new Page(List.copyOf(matches), more);
  }
}
