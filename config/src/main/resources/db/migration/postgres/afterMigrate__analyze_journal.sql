-- Runs after every migrate, i.e. at every node start (a Flyway callback, not a migration).
-- Fresh statistics for the tables the read journal joins: without them (a server without
-- autovacuum, or before its first autoanalyze) the planner guesses a handful of rows for any tag,
-- and the eventsByTag query reads every row of the tag for each poll: 30 ms per poll at 100k
-- participants instead of 0.1 ms, and a restart's catch-up of the capability index took 30 s
-- instead of 14 s (bench/measured/2026-11-21/scale-100k.md). On the empty journal of a first start
-- this is cheap and changes nothing; a node whose user does not own the tables gets a warning.
ANALYZE event_journal;
ANALYZE event_tag;
