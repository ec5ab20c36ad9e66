-- A table for the TLS tests to migrate and write to.
CREATE TABLE tls_notes (
    id BIGINT PRIMARY KEY,
    note TEXT NOT NULL
);
