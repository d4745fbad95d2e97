-- A pulse thank-you says only that a person took part in a round, dated at
-- the round's close, and is issued when the round closes (never at the
-- moment of an answer, and never naming the cell answered about).
-- `thank_yous_issued` marks a closed round whose participants were thanked,
-- set in the same transaction as the ledger entries, so that several
-- instances thank each round exactly once.
ALTER TABLE pulse_rounds ADD COLUMN thank_yous_issued INTEGER NOT NULL DEFAULT 0 CHECK (thank_yous_issued IN (0, 1));

-- Entries issued before this change named the cell ('pulse:<round>:<provider>:<consumer>')
-- and the moment of the answer: keep one per person and round, naming the
-- round only, dated at the round's close.
DELETE FROM thank_you_ledger
WHERE earned_for LIKE 'pulse:%:%:%'
  AND id NOT IN (
      SELECT MIN(id) FROM thank_you_ledger
      WHERE earned_for LIKE 'pulse:%:%:%'
      GROUP BY organization_id, person_id,
               substr(earned_for, 7, instr(substr(earned_for, 7), ':') - 1)
  );
UPDATE thank_you_ledger
SET earned_for = 'pulse:' || substr(earned_for, 7, instr(substr(earned_for, 7), ':') - 1)
WHERE earned_for LIKE 'pulse:%:%:%';
UPDATE thank_you_ledger
SET issued_at = (
    SELECT CASE WHEN r.closed_at IS NOT NULL AND r.closed_at < r.closes_at THEN r.closed_at ELSE r.closes_at END
    FROM pulse_rounds r
    WHERE r.organization_id = thank_you_ledger.organization_id
      AND CAST(r.id AS TEXT) = substr(thank_you_ledger.earned_for, 7)
)
WHERE earned_for LIKE 'pulse:%'
  AND EXISTS (
      SELECT 1 FROM pulse_rounds r
      WHERE r.organization_id = thank_you_ledger.organization_id
        AND CAST(r.id AS TEXT) = substr(thank_you_ledger.earned_for, 7)
  );
