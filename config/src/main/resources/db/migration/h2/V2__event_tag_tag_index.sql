-- The read journal's eventsByTag query filters event_tag on the tag; the plugin's key
-- (event_id, tag) cannot be searched by tag. Same index as PostgreSQL's V3.
CREATE INDEX IF NOT EXISTS "event_tag_tag_event_id_idx" ON PUBLIC."event_tag" ("tag", "event_id");
