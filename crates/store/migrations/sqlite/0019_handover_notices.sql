-- Hand-overs told: one row per person, kind, subject and stage (the
-- proposal of version 2, a pulse round's half-time reminder, …), so the
-- sweep that tells people it is their turn sends each notice exactly once
-- across instances (the primary key decides; the notice is written in the
-- same transaction). No existing row changes.
CREATE TABLE handover_notices (
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    subject_id INTEGER NOT NULL,
    stage TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (organization_id, kind, subject_id, stage, person_id),
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id) ON DELETE CASCADE
);
