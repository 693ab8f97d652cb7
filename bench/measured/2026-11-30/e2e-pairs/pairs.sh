#!/usr/bin/env bash
cd /work/main
for i in 1 2 3; do
  for side in old new; do
    jar=control-plane-api/target/muster-node.jar
    [[ $side == old ]] && jar=/tmp/muster-node-4ea896b.jar
    echo "=== pair $i $side"
    java -jar bench/target/muster-bench.jar e2e --db postgres --mode closed --runs 1 --warmup 30s --duration 20s --node-jar $jar --results /tmp/pairs/$i-$side 2>&1 | grep -E "missions_per_s|node_cpu_ms|dispatch_p99|p99|error" | head -12
  done
done
