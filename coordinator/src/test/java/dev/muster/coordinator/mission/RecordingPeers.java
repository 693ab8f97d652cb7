package dev.muster.coordinator.mission;

import dev.muster.coordinator.model.MissionSpec;
import dev.muster.coordinator.model.MissionState;
import dev.muster.coordinator.model.Phase;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test double of {@link MissionPeers} for Mission's entity tests: records what a mission asks of
 * its tree and answers as a freshly submitted (pending) mission would. Whole trees of real missions
 * are exercised by the end-to-end tests.
 */
final class RecordingPeers implements MissionPeers {
  final List<String> submitted = new CopyOnWriteArrayList<>();
  final List<MissionSpec> specs = new CopyOnWriteArrayList<>();
  final List<String> cancelled = new CopyOnWriteArrayList<>();
  final List<String> reports = new CopyOnWriteArrayList<>();

  @Override
  public CompletionStage<MissionState> submit(String missionId, MissionSpec spec) {
    submitted.add(missionId);
    specs.add(spec);
    return CompletableFuture.completedFuture(
        MissionState.submitted(missionId, spec, Instant.now()));
  }

  @Override
  public CompletionStage<MissionState> report(String parentId, String childId, Phase outcome) {
    reports.add(parentId + " <- " + childId + " " + outcome.wire());
    return CompletableFuture.failedFuture(new IllegalStateException("no parent in this test"));
  }

  @Override
  public CompletionStage<MissionState> cancel(String missionId, String reason) {
    cancelled.add(missionId);
    return CompletableFuture.failedFuture(new IllegalStateException("no child in this test"));
  }
}
