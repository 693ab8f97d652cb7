#!/usr/bin/env bash
# The pairs of BENCHMARKS.md "Backlog" (per-mission cost of the new path): the same benchmark
# drives 4ea896b's node and this build's, back to back, closed loop on PostgreSQL.
# Run from the repository's root after `mvn -B -q package -DskipTests`.
set -euo pipefail
old=/tmp/muster-node-4ea896b.jar
if [[ ! -f $old ]]; then
  git worktree add -f /tmp/muster-4ea896b 4ea896b
  (cd /tmp/muster-4ea896b && mvn -B -q package -DskipTests)
  cp /tmp/muster-4ea896b/control-plane-api/target/muster-node.jar "$old"
  git worktree remove --force /tmp/muster-4ea896b
fi
for i in 1 2 3; do
  for side in old new; do
    jar=control-plane-api/target/muster-node.jar
    [[ $side == old ]] && jar=$old
    echo "=== pair $i $side"
    java -jar bench/target/muster-bench.jar e2e --db postgres --mode closed --runs 1 \
      --warmup 30s --duration 20s --node-jar "$jar" --results /tmp/pairs/$i-$side 2>&1 |
      grep -E "missions_per_s|node_cpu_ms|dispatch_p99|p99|error" | head -12
  done
done
