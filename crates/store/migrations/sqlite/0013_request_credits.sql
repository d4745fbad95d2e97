-- Credit on resolved requests: the contributors a resolved (or closed)
-- request credits, several per request, each once. A credit is added or
-- explicitly removed, never reassigned: hand-offs and reassignments leave
-- it alone. The person's department is kept as it was when credited, so a
-- department's recognition does not move when people do. Same conventions
-- as 0001.

CREATE TABLE request_credits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL,
    request_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    department_id INTEGER,
    note TEXT NOT NULL DEFAULT '',
    credited_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, request_id, person_id),
    FOREIGN KEY (organization_id, request_id) REFERENCES requests (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, person_id) REFERENCES people (organization_id, id),
    FOREIGN KEY (organization_id, department_id) REFERENCES departments (organization_id, id),
    FOREIGN KEY (organization_id, credited_by) REFERENCES people (organization_id, id)
);
CREATE INDEX request_credits_by_person ON request_credits (organization_id, person_id, id);
CREATE INDEX request_credits_by_department ON request_credits (organization_id, department_id, id);
