-- The foundation: organizations (tenants), business calendars, departments,
-- people, and the credentials people sign in with.
--
-- Conventions shared with migrations/postgres (keep the two in step, version
-- for version): every tenant table carries organization_id; references between
-- tenant tables are composite (organization_id, id) foreign keys, so a row can
-- never point into another organization; instants are fixed-width UTC text;
-- flags are 0/1 integers; `version` counts changes for optimistic concurrency.

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- The secret that makes sampling decisions reproducible but unguessable.
    sampling_secret TEXT NOT NULL,
    default_calendar_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    FOREIGN KEY (id, default_calendar_id) REFERENCES calendars (organization_id, id)
);

CREATE TABLE calendars (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    -- JSON: {"monday": [["09:00", "17:30"]], ...}; always read whole.
    working_hours TEXT NOT NULL,
    -- JSON: [{"date": "2026-12-25", "name": "Christmas Day"}]
    holidays TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name)
);

CREATE TABLE departments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id INTEGER,
    calendar_id INTEGER,
    customer_facing INTEGER NOT NULL DEFAULT 0 CHECK (customer_facing IN (0, 1)),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, slug),
    FOREIGN KEY (organization_id, parent_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, calendar_id) REFERENCES calendars (organization_id, id)
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Lower-cased by the application; the login name within the organization.
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    title TEXT,
    department_id INTEGER,
    role TEXT NOT NULL CHECK (role IN ('admin', 'executive', 'lead', 'member')),
    -- argon2id PHC string; NULL until a password is set (or for single sign-on only).
    password_hash TEXT,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, email),
    FOREIGN KEY (organization_id, department_id) REFERENCES departments (organization_id, id)
);
CREATE INDEX people_by_department ON people (organization_id, department_id);
CREATE INDEX people_by_email ON people (email);

CREATE TABLE department_leads (
    organization_id INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    PRIMARY KEY (department_id, person_id),
    FOREIGN KEY (organization_id, department_id) REFERENCES departments (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX department_leads_by_person ON department_leads (organization_id, person_id);

-- Browser sessions; only the SHA-256 digest of the cookie value is stored.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- API tokens; only the SHA-256 digest is stored, the token is shown once.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX api_tokens_by_person ON api_tokens (organization_id, person_id);

-- Responses of create calls made with an Idempotency-Key, replayed on retry.
-- A row without a status is a call still in progress.
CREATE TABLE idempotency_keys (
    organization_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    status_code INTEGER,
    response_body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, person_id, idempotency_key),
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- Who did what, for admins and auditors. Never updated or deleted by the application.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_person_id INTEGER,
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id INTEGER,
    detail TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX audit_log_by_organization ON audit_log (organization_id, id);
