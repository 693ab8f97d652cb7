-- Minimal reproduction of the slow eventsByTag catch-up (psql -f, PostgreSQL 15, no autovacuum).
-- A fresh schema with the plugin's V1 DDL; the plugin's exact eventsByTag statement prepared and
-- executed on the empty journal the way the read journal polls it (plan_cache_mode auto: after 5
-- custom plans PostgreSQL switches to a generic plan); then 100k participant events are written and
-- the cached plan runs catch-up batches. Then the same with force_custom_plan, and with the V3 index.
-- Run from the repository root: psql -h 127.0.0.1 -U postgres -d test -f <this file>
\set ON_ERROR_STOP on
DROP SCHEMA IF EXISTS repro_generic CASCADE;
CREATE SCHEMA repro_generic;
SET search_path = repro_generic;
\i config/src/main/resources/db/migration/postgres/V1__pekko_persistence_jdbc.sql
ALTER TABLE event_journal SET (autovacuum_enabled = false);
ALTER TABLE event_tag SET (autovacuum_enabled = false);
PREPARE q(varchar, bigint, bigint, bigint) AS
select x2.x3, x2.x4, x2.x5, x2.x6, x2.x7, x2.x8, x2.x9, x2.x10, x2.x11, x2.x12, x2.x13, x2.x14, x2.x15 from (select "deleted" as x4, "meta_ser_id" as x14, "meta_ser_manifest" as x15, "sequence_number" as x6, "writer" as x7, "event_ser_manifest" as x12, "write_timestamp" as x8, "persistence_id" as x5, "adapter_manifest" as x9, "ordering" as x3, "event_payload" as x10, "event_ser_id" as x11, "meta_payload" as x13 from "event_journal" where "deleted" = false) x2, "event_tag" x16 where ((x16."tag" = $1) and ((x2.x3 > $2) and (x2.x3 <= $3))) and (x2.x3 = x16."event_id") order by x2.x3 limit $4;
-- the live follower polling an empty journal
EXECUTE q('participant', 0, 0, 500); EXECUTE q('participant', 0, 0, 500); EXECUTE q('participant', 0, 0, 500);
EXECUTE q('participant', 0, 0, 500); EXECUTE q('participant', 0, 0, 500); EXECUTE q('participant', 0, 0, 500);
EXECUTE q('participant', 0, 0, 500); EXECUTE q('participant', 0, 0, 500);
SELECT name, generic_plans, custom_plans FROM pg_prepared_statements;
-- the burst: 100k registrations, one tagged event each (ordering 1..100000)
INSERT INTO event_journal(persistence_id, sequence_number, writer, write_timestamp, adapter_manifest, event_ser_id, event_ser_manifest, event_payload)
SELECT 'Participant|p-' || g, 1, 'w', 0, '', 33, 'M', convert_to(repeat('x', 180) || g, 'UTF8') FROM generate_series(1, 100000) g;
INSERT INTO event_tag(event_id, tag) SELECT ordering, 'participant' FROM event_journal;
SET statement_timeout = '120s';
\echo '== cached generic plan, batches at offset 0, 50000 and 99000'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('participant', 0, 100000, 500);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('participant', 50000, 100000, 500);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('participant', 99000, 100000, 500);
\echo '== a tag with no row in the range (the mission follower during the burst), over 10k rows'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('mission', 90000, 100000, 500);
\echo '== force_custom_plan (the fix), no statistics'
SET plan_cache_mode = force_custom_plan;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('participant', 0, 100000, 500);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('participant', 99000, 100000, 500);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('mission', 90000, 100000, 500);
\echo '== with the V3 index (tag, event_id), built while the journal is empty, generic plan again'
\echo '   (forced here: in auto mode a plan-cache invalidation caused by other sessions on a shared'
\echo '   server can replace the cached generic plan at any time, which makes the result vary)'
DEALLOCATE q;
SET plan_cache_mode = force_generic_plan;
TRUNCATE event_tag, event_journal;
CREATE INDEX event_tag_tag_event_id_idx ON event_tag (tag, event_id);
PREPARE q(varchar, bigint, bigint, bigint) AS
select x2.x3, x2.x4, x2.x5, x2.x6, x2.x7, x2.x8, x2.x9, x2.x10, x2.x11, x2.x12, x2.x13, x2.x14, x2.x15 from (select "deleted" as x4, "meta_ser_id" as x14, "meta_ser_manifest" as x15, "sequence_number" as x6, "writer" as x7, "event_ser_manifest" as x12, "write_timestamp" as x8, "persistence_id" as x5, "adapter_manifest" as x9, "ordering" as x3, "event_payload" as x10, "event_ser_id" as x11, "meta_payload" as x13 from "event_journal" where "deleted" = false) x2, "event_tag" x16 where ((x16."tag" = $1) and ((x2.x3 > $2) and (x2.x3 <= $3))) and (x2.x3 = x16."event_id") order by x2.x3 limit $4;
EXECUTE q('participant', 0, 0, 500); EXECUTE q('participant', 0, 0, 500); EXECUTE q('participant', 0, 0, 500);
EXECUTE q('participant', 0, 0, 500); EXECUTE q('participant', 0, 0, 500); EXECUTE q('participant', 0, 0, 500);
EXECUTE q('participant', 0, 0, 500); EXECUTE q('participant', 0, 0, 500);
INSERT INTO event_journal(persistence_id, sequence_number, writer, write_timestamp, adapter_manifest, event_ser_id, event_ser_manifest, event_payload)
SELECT 'Participant|p-' || g, 1, 'w', 0, '', 33, 'M', convert_to(repeat('x', 180) || g, 'UTF8') FROM generate_series(1, 100000) g;
INSERT INTO event_tag(event_id, tag) SELECT ordering, 'participant' FROM event_journal;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('participant', 150000, 200000, 500);
SELECT name, generic_plans, custom_plans FROM pg_prepared_statements;
\echo '== after ANALYZE (what autovacuum would eventually do): the cached plan is invalidated'
ANALYZE event_journal; ANALYZE event_tag;
RESET plan_cache_mode;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('participant', 150000, 200000, 500);
DROP SCHEMA repro_generic CASCADE;
