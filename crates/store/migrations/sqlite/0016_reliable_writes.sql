-- Idempotency keys recorded with the change they protect, and a place for
-- the storage probe. Same conventions as 0001.

-- A key's row is now written in the same transaction as the change it
-- protects, so it exists exactly when that change committed. Its answer
-- (status, body, headers) is recorded right after; if the server stops in
-- between, `resource_path` says where the created resource can be read
-- again to rebuild the answer. Rows from before this migration without a
-- status were reservations of the old scheme (their call may or may not
-- have happened); they age out with the retention like any other.
ALTER TABLE idempotency_keys ADD COLUMN resource_path TEXT;
-- The replayed response headers (ETag, Location, Content-Type) as a JSON object.
ALTER TABLE idempotency_keys ADD COLUMN response_headers TEXT;

-- Readiness writes and deletes one row here, only after a write has failed
-- for want of storage, to learn whether the database can be written again.
-- Always empty between probes.
CREATE TABLE storage_probes (
    id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL
);
