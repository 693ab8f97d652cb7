package dev.muster.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Medians of several runs' figures: nested maps flattened to dotted keys, numbers only. */
final class Medians {
  private Medians() {}

  static Map<String, Object> flatten(Map<String, Object> run) {
    Map<String, Object> flat = new LinkedHashMap<>();
    flatten("", run, flat);
    return flat;
  }

  @SuppressWarnings("unchecked")
  private static void flatten(String prefix, Map<String, Object> map, Map<String, Object> into) {
    map.forEach(
        (k, v) -> {
          if (v instanceof Map<?, ?> m) {
            flatten(prefix + k + ".", (Map<String, Object>) m, into);
          } else {
            into.put(prefix + k, v);
          }
        });
  }

  /** Per key: the median of the runs' numbers; a non-number when every run agrees on it. */
  static Map<String, Object> of(List<Map<String, Object>> runs) {
    Map<String, List<Object>> values = new LinkedHashMap<>();
    for (Map<String, Object> run : runs) {
      flatten(run).forEach((k, v) -> values.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    values.forEach(
        (k, vs) -> {
          if (vs.stream().allMatch(v -> v instanceof Number)) {
            out.put(k, median(vs.stream().map(v -> ((Number) v).doubleValue()).toList()));
          } else if (vs.stream().distinct().count() == 1) {
            out.put(k, vs.get(0));
          } else {
            out.put(k, vs.toString());
          }
        });
    return out;
  }

  static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
