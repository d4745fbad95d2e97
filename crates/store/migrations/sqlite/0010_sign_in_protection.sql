-- Sign-in protection: failed sign-ins per email (its SHA-256 digest, since
-- sign-in happens before the organization is known), and when the email is
-- locked out after too many failures in a row.
CREATE TABLE login_failures (
    email_digest TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_failure_at TEXT NOT NULL,
    locked_until TEXT
);

-- What each API token may do: read, write and/or admin (comma-separated).
-- Tokens made before scopes existed keep every power they had.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read,write,admin';
