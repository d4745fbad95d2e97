-- Objectives with mutual measures, department goals, the round table (topics,
-- votes, comments, sessions, actions), enhancements, kudos and alignment
-- reviews. Same conventions as 0001: composite (organization_id, id) keys,
-- instants as fixed-width UTC text, dates as YYYY-MM-DD text, flags 0/1.

CREATE TABLE objectives (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- e.g. 2027-Q1, 2027-H1, 2027 or 2027-03; its dates are derived by the domain.
    period TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL CHECK (category IN ('revenue', 'repeat_business', 'referrals', 'reputation', 'other')),
    owner_person_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, owner_person_id) REFERENCES people (organization_id, id)
);
CREATE INDEX objectives_by_period ON objectives (organization_id, period);

-- Key results. Progress and status are derived from these numbers, never stored.
CREATE TABLE measures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    objective_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    direction TEXT NOT NULL CHECK (direction IN ('increase', 'decrease')),
    baseline REAL NOT NULL,
    target REAL NOT NULL,
    current_value REAL NOT NULL,
    -- Set once, when the target was first reached (and a mutual measure's departments credited).
    target_reached_at TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    CHECK (target <> baseline),
    FOREIGN KEY (organization_id, objective_id) REFERENCES objectives (organization_id, id)
);
CREATE INDEX measures_by_objective ON measures (organization_id, objective_id);

-- What each contributing department will do; two or more make a measure mutual.
CREATE TABLE measure_contributors (
    organization_id INTEGER NOT NULL,
    measure_id INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    statement TEXT NOT NULL,
    PRIMARY KEY (measure_id, department_id),
    FOREIGN KEY (organization_id, measure_id) REFERENCES measures (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, department_id) REFERENCES departments (organization_id, id)
);

-- The history of a measure: every check-in is kept.
CREATE TABLE measure_checkins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    measure_id INTEGER NOT NULL,
    value REAL NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    author_person_id INTEGER,
    recorded_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, measure_id) REFERENCES measures (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, author_person_id) REFERENCES people (organization_id, id)
);
CREATE INDEX measure_checkins_by_measure ON measure_checkins (organization_id, measure_id, recorded_on);

-- A department's own goal; without an objective it is flagged unaligned.
CREATE TABLE goals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    objective_id INTEGER,
    period TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, objective_id) REFERENCES objectives (organization_id, id)
);

-- Round-table topics. An anonymous topic has no author: author_person_id is NULL
-- and nothing else records who wrote it.
CREATE TABLE topics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('frustration', 'assumption', 'suggestion')),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    -- What the author's own department could do differently (required for frustrations).
    mirror TEXT,
    from_department_id INTEGER NOT NULL,
    -- NULL: about the whole organization.
    about_department_id INTEGER,
    author_person_id INTEGER,
    service_id INTEGER,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'discussed', 'action_planned', 'resolved', 'parked')),
    answer TEXT CHECK (answer IS NULL OR answer IN ('confirmed', 'corrected')),
    answer_note TEXT,
    answered_by INTEGER,
    answered_at TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    CHECK (kind <> 'frustration' OR mirror IS NOT NULL),
    FOREIGN KEY (organization_id, from_department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, about_department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, author_person_id) REFERENCES people (organization_id, id),
    FOREIGN KEY (organization_id, service_id) REFERENCES services (organization_id, id),
    FOREIGN KEY (organization_id, answered_by) REFERENCES people (organization_id, id)
);
CREATE INDEX topics_by_status ON topics (organization_id, status);

CREATE TABLE topic_requests (
    organization_id INTEGER NOT NULL,
    topic_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL,
    PRIMARY KEY (topic_id, request_id),
    FOREIGN KEY (organization_id, topic_id) REFERENCES topics (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, request_id) REFERENCES requests (organization_id, id)
);

-- One vote per person and topic: the primary key makes a repeated vote a no-op.
CREATE TABLE topic_votes (
    organization_id INTEGER NOT NULL,
    topic_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (topic_id, person_id),
    FOREIGN KEY (organization_id, topic_id) REFERENCES topics (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id)
);

CREATE TABLE topic_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    topic_id INTEGER NOT NULL,
    author_person_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, topic_id) REFERENCES topics (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, author_person_id) REFERENCES people (organization_id, id)
);
CREATE INDEX topic_comments_by_topic ON topic_comments (organization_id, topic_id);

-- A scheduled round table; the facilitator rotates (the round table has no head).
CREATE TABLE round_table_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    scheduled_at TEXT NOT NULL,
    facilitator_person_id INTEGER NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    outcomes TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, facilitator_person_id) REFERENCES people (organization_id, id)
);

-- The agenda, in order.
CREATE TABLE session_topics (
    organization_id INTEGER NOT NULL,
    session_id INTEGER NOT NULL,
    topic_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (session_id, topic_id),
    FOREIGN KEY (organization_id, session_id) REFERENCES round_table_sessions (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, topic_id) REFERENCES topics (organization_id, id)
);

-- An alignment review of one period; its agenda is generated, its decisions kept.
CREATE TABLE alignment_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    period TEXT NOT NULL,
    held_on TEXT,
    -- JSON array of strings.
    decisions TEXT NOT NULL DEFAULT '[]',
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id)
);

CREATE TABLE actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    owner_person_id INTEGER NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done', 'dropped')),
    done_on TEXT,
    topic_id INTEGER,
    session_id INTEGER,
    review_id INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, owner_person_id) REFERENCES people (organization_id, id),
    FOREIGN KEY (organization_id, topic_id) REFERENCES topics (organization_id, id),
    FOREIGN KEY (organization_id, session_id) REFERENCES round_table_sessions (organization_id, id),
    FOREIGN KEY (organization_id, review_id) REFERENCES alignment_reviews (organization_id, id)
);
CREATE INDEX actions_by_due ON actions (organization_id, status, due_on);

-- A mutual improvement proposed by two or more departments, put to an executive.
CREATE TABLE enhancements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    objective_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'sponsored', 'in_progress', 'delivered', 'declined')),
    sponsor_person_id INTEGER,
    sponsored_at TEXT,
    decline_reason TEXT,
    proposed_by INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    CHECK (status <> 'declined' OR decline_reason IS NOT NULL),
    FOREIGN KEY (organization_id, objective_id) REFERENCES objectives (organization_id, id),
    FOREIGN KEY (organization_id, sponsor_person_id) REFERENCES people (organization_id, id),
    FOREIGN KEY (organization_id, proposed_by) REFERENCES people (organization_id, id)
);

CREATE TABLE enhancement_departments (
    organization_id INTEGER NOT NULL,
    enhancement_id INTEGER NOT NULL,
    department_id INTEGER NOT NULL,
    PRIMARY KEY (enhancement_id, department_id),
    FOREIGN KEY (organization_id, enhancement_id) REFERENCES enhancements (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, department_id) REFERENCES departments (organization_id, id)
);

-- Thanks. A recognition of a mutual measure has no giver person: it credits each
-- contributing department once (the unique index below).
CREATE TABLE kudos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    giver_person_id INTEGER,
    -- The giver's department when the kudos was given (for the matrix cell).
    giver_department_id INTEGER,
    receiver_person_id INTEGER,
    receiver_department_id INTEGER,
    message TEXT NOT NULL,
    link_kind TEXT CHECK (link_kind IS NULL OR link_kind IN ('request', 'service', 'action', 'measure')),
    link_id INTEGER,
    value_tag TEXT,
    recognized_measure_id INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    CHECK (receiver_person_id IS NOT NULL OR receiver_department_id IS NOT NULL),
    FOREIGN KEY (organization_id, giver_person_id) REFERENCES people (organization_id, id),
    FOREIGN KEY (organization_id, giver_department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, receiver_person_id) REFERENCES people (organization_id, id),
    FOREIGN KEY (organization_id, receiver_department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, recognized_measure_id) REFERENCES measures (organization_id, id)
);
CREATE UNIQUE INDEX kudos_recognition_once ON kudos (recognized_measure_id, receiver_department_id);
CREATE INDEX kudos_by_time ON kudos (organization_id, created_at);
