package dev.muster.runtime.dispatch;

import java.util.List;
import java.util.Optional;

/**
 * The missions that wait or hold a participant, as the read side of the journal knows them (the
 * coordinator's mission directory): what a dispatcher starts from after a restart or a move, and
 * what it reconciles with. It lags the journal by the read side's polling; versions tell which of
 * two statuses is newer.
 */
public interface OpenWork {

  /** Whether the read side has folded the events stored when it started. */
  boolean caughtUp();

  /** The waiting and holding missions of {@code workspace}. */
  List<WorkStatus> of(String workspace);

  /** The status of one mission, if the read side knows it (idle when it is finished). */
  Optional<WorkStatus> status(String missionId);
}
