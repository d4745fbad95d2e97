-- The Internal Customer Relationship Matrix: customer segments (the external
-- customer at the centre), services a provider department delivers to consumer
-- departments, and agreements: one per provider → consumer cell, versioned,
-- accepted by both sides' leads. Same conventions as 0001.

CREATE TABLE segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- What this kind of external customer needs, in the organization's words.
    needs TEXT NOT NULL DEFAULT '',
    -- JSON array of strings, e.g. what a qualified lead from this segment looks like.
    criteria TEXT NOT NULL DEFAULT '[]',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name)
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider_department_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- The quality criteria: what "good" looks like to the consumer.
    definition_of_good TEXT NOT NULL DEFAULT '',
    owner_person_id INTEGER,
    -- Targets in business minutes of the provider's calendar.
    first_response_minutes INTEGER NOT NULL CHECK (first_response_minutes > 0),
    fulfilment_minutes INTEGER NOT NULL CHECK (fulfilment_minutes > 0),
    -- JSON: {"urgent": {"first_response_minutes": 30, "fulfilment_minutes": 240}, ...}
    priority_targets TEXT NOT NULL DEFAULT '{}',
    -- JSON: [{"key": "region", "label": "Region", "kind": "choice", "required": true, "choices": [...]}]
    intake_fields TEXT NOT NULL DEFAULT '[]',
    volume_quantity INTEGER CHECK (volume_quantity IS NULL OR volume_quantity > 0),
    volume_period TEXT CHECK (volume_period IS NULL OR volume_period IN ('week', 'month', 'quarter')),
    volume_unit TEXT,
    check_sampling_rate REAL NOT NULL DEFAULT 1.0 CHECK (check_sampling_rate >= 0 AND check_sampling_rate <= 1),
    reopen_on_not_met INTEGER NOT NULL DEFAULT 1 CHECK (reopen_on_not_met IN (0, 1)),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, provider_department_id, name),
    FOREIGN KEY (organization_id, provider_department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, owner_person_id) REFERENCES people (organization_id, id)
);
CREATE INDEX services_by_provider ON services (organization_id, provider_department_id);

CREATE TABLE service_consumers (
    organization_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    PRIMARY KEY (service_id, department_id),
    FOREIGN KEY (organization_id, service_id) REFERENCES services (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, department_id) REFERENCES departments (organization_id, id)
);
CREATE INDEX service_consumers_by_department ON service_consumers (organization_id, department_id);

CREATE TABLE service_segments (
    organization_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    segment_id INTEGER NOT NULL,
    PRIMARY KEY (service_id, segment_id),
    FOREIGN KEY (organization_id, service_id) REFERENCES services (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, segment_id) REFERENCES segments (organization_id, id)
);

-- One row per matrix cell. The content lives in versions; `agreed_version` is
-- the version in force, `current_version` the newest (maybe a draft of a change).
CREATE TABLE agreements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider_department_id INTEGER NOT NULL,
    consumer_department_id INTEGER NOT NULL,
    review_cadence_months INTEGER NOT NULL DEFAULT 3 CHECK (review_cadence_months IN (1, 3, 6, 12)),
    current_version INTEGER NOT NULL DEFAULT 1,
    agreed_version INTEGER,
    -- The date of the last review, or of the first agreement before any review.
    last_reviewed_on TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, provider_department_id, consumer_department_id),
    CHECK (provider_department_id <> consumer_department_id),
    FOREIGN KEY (organization_id, provider_department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, consumer_department_id) REFERENCES departments (organization_id, id)
);

-- Every version of an agreement stays readable; an agreed version is never changed.
CREATE TABLE agreement_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    agreement_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'proposed', 'agreed', 'superseded')),
    -- JSON: [{"description": "...", "due_within_business_days": 5}]: what the consumer owes back.
    obligations TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '',
    created_by INTEGER,
    created_at TEXT NOT NULL,
    proposed_by INTEGER,
    proposed_at TEXT,
    provider_accepted_by INTEGER,
    provider_accepted_at TEXT,
    consumer_accepted_by INTEGER,
    consumer_accepted_at TEXT,
    agreed_at TEXT,
    UNIQUE (organization_id, id),
    UNIQUE (agreement_id, number),
    FOREIGN KEY (organization_id, agreement_id) REFERENCES agreements (organization_id, id) ON DELETE CASCADE
);

CREATE TABLE agreement_version_services (
    organization_id INTEGER NOT NULL,
    agreement_version_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    PRIMARY KEY (agreement_version_id, service_id),
    FOREIGN KEY (organization_id, agreement_version_id) REFERENCES agreement_versions (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, service_id) REFERENCES services (organization_id, id)
);

CREATE TABLE agreement_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    agreement_id INTEGER NOT NULL,
    version_number INTEGER NOT NULL,
    reviewed_on TEXT NOT NULL,
    reviewer_person_id INTEGER,
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    FOREIGN KEY (organization_id, agreement_id) REFERENCES agreements (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX agreement_reviews_by_agreement ON agreement_reviews (organization_id, agreement_id);
