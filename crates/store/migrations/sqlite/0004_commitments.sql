-- Commitments ("we can do it by Thursday"), deferrals for an external
-- customer, and the link of sub-requests. Same conventions as 0001.

ALTER TABLE requests ADD COLUMN committed_due_at TEXT;
ALTER TABLE requests ADD COLUMN deferred_until TEXT;
ALTER TABLE requests ADD COLUMN deferral_reason TEXT;

CREATE TABLE request_commitments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL,
    -- Which side proposed it: the provider offers, the requester counter-proposes.
    proposed_by_side TEXT NOT NULL CHECK (proposed_by_side IN ('provider', 'requester')),
    proposed_by INTEGER NOT NULL,
    due_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'superseded')),
    decided_by INTEGER,
    decided_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, request_id) REFERENCES requests (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, proposed_by) REFERENCES people (organization_id, id)
);
CREATE INDEX request_commitments_by_request ON request_commitments (organization_id, request_id, id);
CREATE INDEX requests_by_parent ON requests (organization_id, parent_request_id);
