#!/usr/bin/env bash
# The pairs of BENCHMARKS.md "Identity and access (issue 13)": the same benchmark drives the node of
# 763c433 (the last commit before tokens) and this build's (tokens, audit, rate limits on every
# request; the benchmark calls with the first operator's token), back to back, closed loop on
# PostgreSQL. Run from the repository's root after `mvn -B -q package -DskipTests`.
set -euo pipefail
old=/tmp/muster-node-763c433.jar
if [[ ! -f $old ]]; then
  git worktree add -f /tmp/muster-763c433 763c433
  (cd /tmp/muster-763c433 && mvn -B -q package -DskipTests)
  cp /tmp/muster-763c433/control-plane-api/target/muster-node.jar "$old"
  git worktree remove --force /tmp/muster-763c433
fi
new=${NEW_JAR:-control-plane-api/target/muster-node.jar}
bench=${BENCH_JAR:-bench/target/muster-bench.jar}
out=${OUT:-/tmp/identity-pairs}
for i in 1 2 3; do
  for side in old new; do
    jar=$new
    [[ $side == old ]] && jar=$old
    echo "=== pair $i $side"
    java -jar "$bench" e2e --db postgres --mode closed --runs 1 \
      --warmup 30s --duration 20s --node-jar "$jar" --results "$out/$i-$side" 2>&1 |
      grep -E "missions_per_s|node_cpu_ms|dispatch_p99|p99|error" | head -12
  done
done
