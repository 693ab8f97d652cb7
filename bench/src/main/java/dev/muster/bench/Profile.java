package dev.muster.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Summarises a JFR recording's execution samples ({@code jfr print --events jdk.ExecutionSample}):
 * the share of samples per layer (the first frame from the top of the stack that belongs to a known
 * layer: JDBC driver, Slick, the persistence plugin, serialization, HTTP, Muster's own code,
 * Pekko), per thread pool, and the hottest top frames.
 */
final class Profile {
  private Profile() {}

  /** Ordered: a sample counts for the first layer one of its frames (top first) belongs to. */
  static final List<String[]> LAYERS =
      List.of(
          new String[] {"jdbc-driver", "org.postgresql.", "org.h2."},
          new String[] {"hikari", "com.zaxxer.hikari."},
          new String[] {"slick", "slick."},
          new String[] {
            "serialization", "com.fasterxml.jackson.", "org.apache.pekko.serialization."
          },
          new String[] {"persistence-jdbc", "org.apache.pekko.persistence.jdbc."},
          new String[] {"persistence", "org.apache.pekko.persistence."},
          new String[] {"http", "org.apache.pekko.http.", "org.apache.pekko.io.", "sun.nio."},
          new String[] {"streams", "org.apache.pekko.stream."},
          new String[] {"muster", "dev.muster."},
          new String[] {"cluster-sharding", "org.apache.pekko.cluster."},
          new String[] {"remoting", "org.apache.pekko.remote."},
          new String[] {"pekko-actor", "org.apache.pekko."},
          new String[] {"scala", "scala."});

  static String layer(List<String> frames) {
    for (String frame : frames) {
      for (String[] layer : LAYERS) {
        for (int i = 1; i < layer.length; i++) {
          if (frame.startsWith(layer[i])) {
            return layer[0];
          }
        }
      }
    }
    return "other (jdk)";
  }

  /** Markers counted inclusively: the share of samples with such a frame anywhere on the stack. */
  static final List<String[]> MARKERS =
      List.of(
          new String[] {"db: jdbc driver", "org.postgresql.", "org.h2."},
          new String[] {"db: slick", "slick."},
          new String[] {
            "journal: write (AsyncWriteJournal)",
            "org.apache.pekko.persistence.journal.AsyncWriteJournal"
          },
          new String[] {
            "journal: recovery/replay",
            "org.apache.pekko.persistence.typed.internal.ReplayingEvents",
            "org.apache.pekko.persistence.typed.internal.ReplayingSnapshot",
            "org.apache.pekko.persistence.jdbc.journal.dao.BaseJournalDaoWithReadMessages",
            "org.apache.pekko.persistence.jdbc.snapshot"
          },
          new String[] {
            "read side: queries (event stream, index)", "org.apache.pekko.persistence.jdbc.query."
          },
          new String[] {"capability index", "dev.muster.registry.index."},
          new String[] {"serialization: jackson", "com.fasterxml.jackson."},
          new String[] {"http: pekko-http", "org.apache.pekko.http."},
          new String[] {"cluster sharding", "org.apache.pekko.cluster.sharding."},
          new String[] {"muster code", "dev.muster."});

  static List<String> layersIn(List<String> frames) {
    List<String> found = new ArrayList<>();
    for (String[] marker : MARKERS) {
      boolean hit = false;
      for (String frame : frames) {
        for (int i = 1; i < marker.length && !hit; i++) {
          hit = frame.startsWith(marker[i]);
        }
        if (hit) {
          break;
        }
      }
      if (hit) {
        found.add(marker[0]);
      }
    }
    return found;
  }

  /** A recording configuration: execution samples every 2 ms (profile.jfc samples far fewer). */
  static Path settings(Path dir) throws IOException {
    Path jfc = dir.resolve("bench.jfc");
    java.nio.file.Files.writeString(
        jfc,
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <configuration version="2.0" label="bench">
          <event name="jdk.ExecutionSample">
            <setting name="enabled">true</setting>
            <setting name="period">2 ms</setting>
          </event>
          <event name="jdk.GarbageCollection">
            <setting name="enabled">true</setting>
            <setting name="threshold">0 ms</setting>
          </event>
        </configuration>
        """);
    return jfc.toAbsolutePath();
  }

  static Map<String, Object> summarise(Path recording, int top) throws IOException {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "jfr").toString(),
                "print",
                "--events",
                "jdk.ExecutionSample",
                "--stack-depth",
                "64",
                recording.toString())
            .redirectErrorStream(true)
            .start();
    Map<String, Integer> layers = new TreeMap<>();
    Map<String, Integer> inclusive = new TreeMap<>();
    Map<String, Integer> threads = new TreeMap<>();
    Map<String, Integer> topFrames = new TreeMap<>();
    int samples = 0;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
      String line;
      String thread = "?";
      List<String> frames = null;
      while ((line = in.readLine()) != null) {
        String t = line.trim();
        if (t.startsWith("sampledThread = ")) {
          thread = poolOf(t.substring("sampledThread = ".length()));
        } else if (t.startsWith("stackTrace = [")) {
          frames = new ArrayList<>();
        } else if (frames != null && t.equals("]")) {
          samples++;
          layers.merge(layer(frames), 1, Integer::sum);
          for (String l : layersIn(frames)) {
            inclusive.merge(l, 1, Integer::sum);
          }
          threads.merge(thread, 1, Integer::sum);
          if (!frames.isEmpty()) {
            topFrames.merge(frames.get(0), 1, Integer::sum);
          }
          frames = null;
        } else if (frames != null && !t.equals("...")) {
          int at = t.indexOf('(');
          frames.add(at > 0 ? t.substring(0, at) : t);
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("samples", samples);
    out.put("by_layer_pct", percentages(layers, samples, 20));
    out.put("inclusive_pct", percentages(inclusive, samples, 40));
    out.put("by_thread_pct", percentages(threads, samples, 12));
    out.put("top_frames_pct", percentages(topFrames, samples, top));
    return out;
  }

  /** "bench-system-pekko.actor.default-dispatcher-5" (javaThreadId = 40) -> its pool. */
  static String poolOf(String thread) {
    String name = thread.replaceAll("\\s*\\(javaThreadId.*$", "").replace("\"", "");
    return name.replaceAll("[-#]?\\d+$", "");
  }

  private static Map<String, Double> percentages(Map<String, Integer> counts, int total, int top) {
    Map<String, Double> out = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(top)
        .forEach(
            e -> out.put(e.getKey(), EndToEnd.round(100.0 * e.getValue() / Math.max(1, total))));
    return out;
  }
}
