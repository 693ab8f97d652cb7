#!/bin/bash
# Samples CPU of all postgres processes and the whole machine over a window while a closed-loop run goes.
pgcpu() { local t=0; for p in $(pgrep -x postgres); do s=$(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null); t=$((t + ${s:-0})); done; echo $t; }
total() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8, $5+$6}' /proc/stat; }
cd /work/main
BENCH_SKIP_BUILD=1 bench/run e2e --db postgres --mode closed --runs 1 --duration 20s --warmup 10s --results /tmp/cpusplit > /tmp/cpusplit.log 2>&1 &
sleep 14
p0=$(pgcpu); read a0 i0 < <(total)
sleep 15
p1=$(pgcpu); read a1 i1 < <(total)
wait
hz=$(getconf CLK_TCK)
echo "postgres cores: $(echo "scale=3; ($p1-$p0)/$hz/15" | bc)"
echo "machine busy cores: $(echo "scale=3; (($a1-$a0)-($i1-$i0))/$hz/15" | bc) of $(nproc)"
grep -o 'missions_per_s=[^,]*\|node_cpu_cores=[^,]*\|generator_cpu_cores=[^,]*\|node_cpu_ms_per_mission=[^,]*' /tmp/cpusplit.log | head -4
