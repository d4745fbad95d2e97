-- Satisfaction checks, relationship pulses with the mirror, the thank-you
-- ledger, and what relationship health is computed from. Same conventions as
-- 0001.

-- The anonymity threshold k (never below 3), the fatigue cap of checks, and
-- what a completed check or pulse response earns.
ALTER TABLE organizations ADD COLUMN anonymity_threshold INTEGER NOT NULL DEFAULT 5 CHECK (anonymity_threshold BETWEEN 3 AND 1000);
ALTER TABLE organizations ADD COLUMN check_fatigue_days INTEGER NOT NULL DEFAULT 7 CHECK (check_fatigue_days BETWEEN 0 AND 365);
ALTER TABLE organizations ADD COLUMN thank_you_kind TEXT NOT NULL DEFAULT 'none' CHECK (thank_you_kind IN ('none', 'points', 'coupon'));
ALTER TABLE organizations ADD COLUMN thank_you_points INTEGER NOT NULL DEFAULT 0 CHECK (thank_you_points BETWEEN 0 AND 100000);

-- The consumer side of the cell a request belongs to: the requester's
-- department when it was raised (a later move does not rewrite history).
ALTER TABLE requests ADD COLUMN consumer_department_id INTEGER;
-- Clock outcomes, fixed when a clock stops (NULL while it runs): they make
-- reliability and responsiveness sums instead of clock replays.
ALTER TABLE requests ADD COLUMN first_response_met INTEGER CHECK (first_response_met IS NULL OR first_response_met IN (0, 1));
ALTER TABLE requests ADD COLUMN delivered_on_time INTEGER CHECK (delivered_on_time IS NULL OR delivered_on_time IN (0, 1));
UPDATE requests SET consumer_department_id = (
    SELECT people.department_id FROM people
    WHERE people.organization_id = requests.organization_id AND people.id = requests.requester_person_id
);
CREATE INDEX requests_by_resolved ON requests (organization_id, resolved_at);

-- One check per request at most (UNIQUE request_id): never asked twice.
CREATE TABLE checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    request_id INTEGER NOT NULL UNIQUE,
    respondent_person_id INTEGER NOT NULL,
    provider_department_id INTEGER NOT NULL,
    consumer_department_id INTEGER,
    service_id INTEGER,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    answered_at TEXT,
    answer TEXT CHECK (answer IS NULL OR answer IN ('met', 'partly', 'not_met')),
    rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, request_id) REFERENCES requests (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, respondent_person_id) REFERENCES people (organization_id, id),
    FOREIGN KEY (organization_id, provider_department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, consumer_department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, service_id) REFERENCES services (organization_id, id)
);
CREATE INDEX checks_by_respondent ON checks (organization_id, respondent_person_id, created_at);
CREATE INDEX checks_by_answered ON checks (organization_id, answered_at);

CREATE TABLE pulse_rounds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    opens_at TEXT NOT NULL,
    closes_at TEXT NOT NULL,
    -- Set when the round was closed early or by the clock; results only after.
    closed_at TEXT,
    created_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name),
    CHECK (opens_at < closes_at)
);

-- The agreed cells a round asks about.
CREATE TABLE pulse_round_cells (
    organization_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    provider_department_id INTEGER NOT NULL,
    consumer_department_id INTEGER NOT NULL,
    PRIMARY KEY (round_id, provider_department_id, consumer_department_id),
    FOREIGN KEY (organization_id, round_id) REFERENCES pulse_rounds (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, provider_department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, consumer_department_id) REFERENCES departments (organization_id, id)
);

-- Who has answered about which cell (so nobody answers twice), never what.
CREATE TABLE pulse_participants (
    organization_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    provider_department_id INTEGER NOT NULL,
    consumer_department_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('consumer', 'provider')),
    PRIMARY KEY (round_id, provider_department_id, consumer_department_id, person_id),
    FOREIGN KEY (organization_id, round_id) REFERENCES pulse_rounds (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id) ON DELETE CASCADE
);

-- The answers: no author, no time, and a random key, so nothing stored here
-- leads back to a person.
CREATE TABLE pulse_responses (
    key TEXT PRIMARY KEY,
    organization_id INTEGER NOT NULL,
    round_id INTEGER NOT NULL,
    provider_department_id INTEGER NOT NULL,
    consumer_department_id INTEGER NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('consumer', 'provider')),
    -- JSON arrays of five integers in dimension order; expectation and
    -- importance only on the consumer side.
    expectation TEXT,
    perception TEXT NOT NULL,
    importance TEXT,
    comment TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (organization_id, round_id) REFERENCES pulse_rounds (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX pulse_responses_by_cell ON pulse_responses (organization_id, round_id, provider_department_id, consumer_department_id);

-- Coupon codes an organization uploads to thank people with.
CREATE TABLE thank_you_coupons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    issued_at TEXT,
    UNIQUE (organization_id, code)
);

-- What was issued to whom for what; a pulse entry names the round, never the answer.
CREATE TABLE thank_you_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL,
    -- 'check:<id>' or 'pulse:<round>:<provider>:<consumer>': each response earns once.
    earned_for TEXT NOT NULL,
    reward TEXT NOT NULL CHECK (reward IN ('points', 'coupon', 'none_left')),
    points INTEGER NOT NULL DEFAULT 0,
    coupon_code TEXT,
    issued_at TEXT NOT NULL,
    UNIQUE (organization_id, person_id, earned_for),
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id) ON DELETE CASCADE
);
