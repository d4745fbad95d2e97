-- The share of a target from which a clock counts as at risk, per organization.
ALTER TABLE organizations ADD COLUMN at_risk_percent BIGINT NOT NULL DEFAULT 75 CHECK (at_risk_percent BETWEEN 1 AND 99);
