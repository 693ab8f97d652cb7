package dev.muster.api;

import dev.muster.testing.TestDatabase;
import java.nio.file.Path;

/**
 * The first slice on PostgreSQL, in a fresh schema (skipped outside CI when there is no server).
 */
class FirstSlicePostgresTest extends FirstSliceScenario {
  @Override
  TestDatabase database(Path dataDir) {
    return TestDatabase.postgres();
  }
}
