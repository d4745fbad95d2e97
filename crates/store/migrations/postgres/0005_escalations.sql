-- Escalations of service-level clocks: at risk (the assignee is told) and
-- breached (the provider's lead is told). The primary key makes each
-- escalation happen exactly once, however many workers race to record it.

CREATE TABLE request_escalations (
    organization_id BIGINT NOT NULL,
    request_id BIGINT NOT NULL,
    clock TEXT NOT NULL CHECK (clock IN ('first_response', 'fulfilment')),
    level TEXT NOT NULL CHECK (level IN ('at_risk', 'breached')),
    -- Whom it concerns: the assignee (at risk) or a lead of the provider (breached).
    notify_person_id BIGINT,
    escalated_at TEXT NOT NULL,
    PRIMARY KEY (request_id, clock, level),
    FOREIGN KEY (organization_id, request_id) REFERENCES requests (organization_id, id) ON DELETE CASCADE
);
