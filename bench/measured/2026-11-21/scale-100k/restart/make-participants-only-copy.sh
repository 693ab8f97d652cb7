S=bench_scale_kxy87jrv
psql -q -h 127.0.0.1 -U postgres -d test -v ON_ERROR_STOP=1 <<SQL 2>&1 | grep -v NOTICE
DROP SCHEMA IF EXISTS rs_r100k CASCADE;
CREATE SCHEMA rs_r100k;
CREATE TABLE rs_r100k.flyway_schema_history (LIKE $S.flyway_schema_history INCLUDING ALL);
INSERT INTO rs_r100k.flyway_schema_history SELECT * FROM $S.flyway_schema_history;
CREATE TABLE rs_r100k.event_journal (LIKE $S.event_journal INCLUDING ALL);
CREATE TABLE rs_r100k.event_tag (LIKE $S.event_tag INCLUDING ALL);
CREATE TABLE rs_r100k.snapshot (LIKE $S.snapshot INCLUDING ALL);
CREATE TABLE rs_r100k.durable_state (LIKE $S.durable_state INCLUDING ALL);
INSERT INTO rs_r100k.event_journal SELECT * FROM $S.event_journal ORDER BY ordering;
INSERT INTO rs_r100k.event_tag SELECT * FROM $S.event_tag ORDER BY event_id;
SQL
