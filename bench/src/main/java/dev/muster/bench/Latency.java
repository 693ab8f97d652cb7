package dev.muster.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/** A latency distribution recorded from many threads (HdrHistogram, microseconds, 3 digits). */
final class Latency {
  private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

  private final Recorder recorder = new Recorder(MAX_MICROS, 3);
  private final Histogram total = new Histogram(MAX_MICROS, 3);

  void recordNanos(long nanos) {
    recorder.recordValue(Math.min(MAX_MICROS, Math.max(0, nanos / 1000)));
  }

  /** p50, p99, p999 and max in milliseconds, plus the count. */
  synchronized Map<String, Object> summary() {
    total.add(recorder.getIntervalHistogram());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("count", total.getTotalCount());
    out.put("p50_ms", ms(total.getValueAtPercentile(50)));
    out.put("p99_ms", ms(total.getValueAtPercentile(99)));
    out.put("p999_ms", ms(total.getValueAtPercentile(99.9)));
    out.put("max_ms", ms(total.getMaxValue()));
    return out;
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }
}
