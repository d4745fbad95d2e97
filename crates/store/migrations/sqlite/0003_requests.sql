-- Internal requests: raised by a person against a service (or ad hoc to a
-- department), worked by the provider, measured by service-level clocks.
-- Same conventions as 0001.

CREATE TABLE requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    service_id INTEGER,
    provider_department_id INTEGER NOT NULL,
    requester_person_id INTEGER NOT NULL,
    assignee_person_id INTEGER,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- JSON object: intake field key -> value, validated against the service.
    intake_values TEXT NOT NULL DEFAULT '{}',
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status TEXT NOT NULL CHECK (status IN ('new', 'acknowledged', 'in_progress', 'waiting_on_requester', 'resolved', 'closed', 'cancelled')),
    external_impact TEXT NOT NULL DEFAULT 'none' CHECK (external_impact IN ('none', 'customer_affected', 'customer_waiting')),
    external_reference TEXT,
    segment_id INTEGER,
    parent_request_id INTEGER,
    -- Targets in business minutes, copied from the service (per priority) and
    -- recomputed when the service or priority changes; elapsed time lives in
    -- request_periods and is never lost.
    first_response_target_minutes INTEGER NOT NULL CHECK (first_response_target_minutes > 0),
    fulfilment_target_minutes INTEGER NOT NULL CHECK (fulfilment_target_minutes > 0),
    first_response_at TEXT,
    resolved_at TEXT,
    closed_at TEXT,
    -- The provider's rating of the input it got: complete, partial, poor.
    input_quality TEXT CHECK (input_quality IS NULL OR input_quality IN ('complete', 'partial', 'poor')),
    input_quality_note TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, service_id) REFERENCES services (organization_id, id),
    FOREIGN KEY (organization_id, provider_department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, requester_person_id) REFERENCES people (organization_id, id),
    FOREIGN KEY (organization_id, assignee_person_id) REFERENCES people (organization_id, id),
    FOREIGN KEY (organization_id, segment_id) REFERENCES segments (organization_id, id),
    FOREIGN KEY (organization_id, parent_request_id) REFERENCES requests (organization_id, id)
);
CREATE INDEX requests_queue ON requests (organization_id, provider_department_id, status);
CREATE INDEX requests_by_requester ON requests (organization_id, requester_person_id, id);
CREATE INDEX requests_by_created ON requests (organization_id, created_at);

-- Who held the request when, paused or not: the clocks are computed from these.
CREATE TABLE request_periods (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    FOREIGN KEY (organization_id, request_id) REFERENCES requests (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, department_id) REFERENCES departments (organization_id, id)
);
CREATE INDEX request_periods_by_request ON request_periods (organization_id, request_id, id);

-- The immutable timeline: every change, who made it, before and after.
CREATE TABLE request_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL,
    actor_person_id INTEGER,
    kind TEXT NOT NULL,
    -- JSON objects of the fields the event changed.
    before TEXT NOT NULL DEFAULT '{}',
    after TEXT NOT NULL DEFAULT '{}',
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    FOREIGN KEY (organization_id, request_id) REFERENCES requests (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX request_events_by_request ON request_events (organization_id, request_id, id);

CREATE TABLE request_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL,
    author_person_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    -- Internal notes are for the provider department only.
    internal INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1)),
    created_at TEXT NOT NULL,
    FOREIGN KEY (organization_id, request_id) REFERENCES requests (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, author_person_id) REFERENCES people (organization_id, id)
);
CREATE INDEX request_comments_by_request ON request_comments (organization_id, request_id, id);
