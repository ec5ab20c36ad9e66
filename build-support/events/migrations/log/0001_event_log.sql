-- The embedded event log: Kafka's role on one machine. One ordered table of records; `position`
-- is the offset, global across topics, so one aggregate's records stay in order.
CREATE TABLE log_records (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    topic       TEXT NOT NULL,
    message_key TEXT NOT NULL,
    payload     BLOB NOT NULL,
    appended_at BIGINT NOT NULL
);

CREATE INDEX log_records_by_topic ON log_records (topic, position);

-- Each consumer group's committed position per topic: the last record it processed.
CREATE TABLE log_group_positions (
    consumer_group TEXT NOT NULL,
    topic          TEXT NOT NULL,
    position       INTEGER NOT NULL,
    PRIMARY KEY (consumer_group, topic)
);
