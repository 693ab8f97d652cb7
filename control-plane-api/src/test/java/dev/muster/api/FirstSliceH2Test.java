package dev.muster.api;

import dev.muster.testing.TestDatabase;
import java.nio.file.Path;

/** The first slice on the embedded default: H2 in file mode under a temporary data directory. */
class FirstSliceH2Test extends FirstSliceScenario {
  @Override
  TestDatabase database(Path dataDir) {
    return TestDatabase.h2(dataDir);
  }
}
