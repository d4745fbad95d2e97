-- Sign-in throttling, replacing the lockout of 0010 (whose login_failures
-- table is no longer read; it stays until every instance runs this code).
--
-- Failed sign-ins counted per key: 'account:' and the email's digest, or
-- 'client:' and the digest of the client's address. Each failure past the
-- free ones makes the next attempt wait until blocked_until.
CREATE TABLE sign_in_throttles (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    blocked_until TEXT
);
CREATE INDEX sign_in_throttles_by_last_failure ON sign_in_throttles (last_failure_at);

-- Clients (by the digest of their address) that signed in to an account
-- (by the digest of its email) before: they are not held to the account's
-- count of failures, so guessing from elsewhere cannot keep the owner out.
-- Digests only, so the table is no record of who signed in from where.
CREATE TABLE sign_in_known_clients (
    email_digest TEXT NOT NULL,
    client_digest TEXT NOT NULL,
    last_success_at TEXT NOT NULL,
    PRIMARY KEY (email_digest, client_digest)
);
CREATE INDEX sign_in_known_clients_by_last_success ON sign_in_known_clients (last_success_at);
