-- Which listing each development project's unit sells, from the project service's unit events
-- (estospaces.project.v1). Kept here as well as in the index: the project topic keeps a week of
-- events, and a rebuilt index takes older links from this table.
CREATE TABLE project_units (
    unit_id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    -- The listing's id (`{property}` of `properties/{property}`); empty when the unit has none.
    listing_id TEXT NOT NULL,
    -- The unit's update_time (Unix microseconds) and the event's aggregate sequence: only a
    -- later change replaces the row, so replays and other replicas change nothing.
    updated_at BIGINT NOT NULL,
    event_sequence BIGINT NOT NULL
);
