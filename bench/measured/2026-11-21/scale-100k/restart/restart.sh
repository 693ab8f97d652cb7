#!/bin/bash
# usage: restart.sh <schema> <marker> <label> [jvm opts...]
schema=$1; marker=$2; label=$3; shift 3
d=/tmp/rsexp/restart-$label; rm -rf $d; mkdir -p $d
t0=$(date +%s.%N)
MUSTER_DATA_DIR=$d MUSTER_DB_URL="jdbc:postgresql://127.0.0.1:5432/test${PGOPTS:-}" MUSTER_DB_USER=postgres MUSTER_DB_SCHEMA=$schema MUSTER_HTTP_PORT=18082 MUSTER_CLUSTER_PORT=25597 \
  java -Dmuster.registry.liveness-window=1h "$@" -jar /work/readside/control-plane-api/target/muster-node.jar > $d/out.log 2>&1 &
pid=$!
ready=""
while true; do
  now=$(date +%s.%N)
  if [ -z "$ready" ] && curl -s -o /dev/null -w '%{http_code}' -m 1 http://127.0.0.1:18082/health/ready 2>/dev/null | grep -q 200; then ready=$(echo "$now - $t0" | bc); fi
  if curl -s -m 2 "http://127.0.0.1:18082/api/v1/participants?workspace=bench&limit=1&capability=$marker" 2>/dev/null | grep -q '"id"'; then break; fi
  if (( $(echo "$now - $t0 > ${LIMIT:-300}" | bc) )); then echo timeout; break; fi
  sleep 0.1
done
done_t=$(echo "$(date +%s.%N) - $t0" | bc)
jcmd $pid GC.run >/dev/null 2>&1
heap=$(jcmd $pid GC.heap_info 2>/dev/null | grep -o "used [0-9]*K" | head -1)
rss=$(grep VmRSS /proc/$pid/status | awk '{print $2 $3}')
echo "$label ready=${ready}s index_caught_up=${done_t}s heap_after_gc=$heap rss=$rss load=$(cut -d' ' -f1-3 /proc/loadavg)"
grep -E "caught up|listening on http" $d/out.log | cut -c1-110
kill $pid; wait $pid 2>/dev/null
