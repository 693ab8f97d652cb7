-- The read journal's eventsByTag query filters event_tag on the tag and joins on event_id; the
-- plugin's legacy key (event_id, tag) cannot be searched by tag, so a plan that starts from the tag
-- (or probes it per journal row) has to read the whole key. Non-transactional like V2 (see
-- V3__event_tag_tag_index.sql.conf): CREATE INDEX CONCURRENTLY does not block the journal's writes
-- on a journal that already has rows. A failed earlier attempt leaves an invalid index behind.
DROP INDEX CONCURRENTLY IF EXISTS event_tag_tag_event_id_idx;
CREATE INDEX CONCURRENTLY event_tag_tag_event_id_idx ON event_tag (tag, event_id);
