-- CREATE INDEX CONCURRENTLY cannot run inside a transaction, so it is a migration of its own
-- (Flyway runs it outside one: see V2__durable_state_indexes.sql.conf).
CREATE INDEX CONCURRENTLY state_tag_idx on durable_state (tag);
CREATE INDEX CONCURRENTLY state_global_offset_idx on durable_state (global_offset);
