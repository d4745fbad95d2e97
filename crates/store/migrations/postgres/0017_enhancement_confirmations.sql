-- A department named on an enhancement confirms it before the enhancement
-- goes to an executive: an improvement is mutual only when each department
-- has said so. The proposer's own departments (those the proposer leads)
-- confirm at creation. Same conventions as 0001.
ALTER TABLE enhancement_departments ADD COLUMN confirmed_at TEXT;
ALTER TABLE enhancement_departments ADD COLUMN confirmed_by BIGINT;

-- Enhancements from before this rule were proposed under the old one: they
-- count as confirmed when they were proposed, so none is stranded.
UPDATE enhancement_departments SET confirmed_at = (
    SELECT e.created_at FROM enhancements e
    WHERE e.organization_id = enhancement_departments.organization_id
      AND e.id = enhancement_departments.enhancement_id
);
