-- Notifications through a transactional outbox: a notification and its
-- deliveries are written in the transaction of the change that causes them,
-- so nothing is sent for a change that rolled back; the worker claims
-- deliveries with a conditional update (any number of instances, each
-- delivery claimed by one), and a claim that expires (a dead instance) is
-- taken over. Same conventions as 0001.

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    recipient_person_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    -- What it is about, e.g. ('request', 42), and the page that shows it.
    subject_kind TEXT NOT NULL,
    subject_id INTEGER,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    read_at TEXT,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, recipient_person_id) REFERENCES people (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_inbox ON notifications (organization_id, recipient_person_id, id);

-- Per person, event kind and channel: whether to deliver (absent = the default, on).
CREATE TABLE notification_preferences (
    organization_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('in_app', 'email')),
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    PRIMARY KEY (person_id, kind, channel),
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- The shared secret for the HMAC-SHA256 signature (shown once at creation).
    secret TEXT NOT NULL,
    -- JSON array of event kinds; empty means every kind.
    kinds TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id)
);

-- One row per message to send: an email of a notification, or a webhook call.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    notification_id INTEGER NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    webhook_id INTEGER,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until TEXT,
    last_error TEXT,
    last_status INTEGER,
    sent_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, notification_id) REFERENCES notifications (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, webhook_id) REFERENCES webhooks (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_by_webhook ON deliveries (organization_id, webhook_id, id);

-- Weekly digests sent, one per lead and ISO week, however many instances run the job.
CREATE TABLE digests (
    organization_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    week TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (person_id, week),
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id) ON DELETE CASCADE
);

-- Reminders about round-table actions: `due` (the day before) and `overdue`,
-- each sent once per action.
CREATE TABLE action_reminders (
    organization_id INTEGER NOT NULL,
    action_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('due', 'overdue')),
    sent_at TEXT NOT NULL,
    PRIMARY KEY (action_id, kind),
    FOREIGN KEY (organization_id, action_id) REFERENCES actions (organization_id, id) ON DELETE CASCADE
);
