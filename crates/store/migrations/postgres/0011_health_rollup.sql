-- Relationship health as a rollup: per organization, UTC day and cell, the
-- sums health is computed from. Kept current in the transaction of every
-- change that fixes, re-judges or withdraws an outcome (a check answered; a
-- clock stopped, re-judged or breached; a request reopened or transferred),
-- so the matrix sums at most one row per cell and day of its window instead
-- of grouping every request and check of the window on each read. Filled
-- here from what already exists; store::health_rollup rebuilds it the same
-- way, and the tests hold the incremental rows to that rebuild.

CREATE TABLE cell_day_outcomes (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    provider_department_id BIGINT NOT NULL,
    consumer_department_id BIGINT NOT NULL,
    satisfaction_points BIGINT NOT NULL DEFAULT 0,
    satisfaction_count BIGINT NOT NULL DEFAULT 0,
    delivered_on_time BIGINT NOT NULL DEFAULT 0,
    delivered BIGINT NOT NULL DEFAULT 0,
    responded_in_time BIGINT NOT NULL DEFAULT 0,
    response_judged BIGINT NOT NULL DEFAULT 0,
    input_complete BIGINT NOT NULL DEFAULT 0,
    input_partial BIGINT NOT NULL DEFAULT 0,
    input_poor BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, day, provider_department_id, consumer_department_id)
);

INSERT INTO cell_day_outcomes (organization_id, day, provider_department_id, consumer_department_id, satisfaction_points, satisfaction_count)
SELECT organization_id, SUBSTR(answered_at, 1, 10), provider_department_id, consumer_department_id,
       SUM(CASE answer WHEN 'met' THEN 100 WHEN 'partly' THEN 50 ELSE 0 END), COUNT(*)
FROM checks WHERE answered_at IS NOT NULL AND consumer_department_id IS NOT NULL
GROUP BY 1, 2, 3, 4
ON CONFLICT (organization_id, day, provider_department_id, consumer_department_id) DO UPDATE SET
    satisfaction_points = cell_day_outcomes.satisfaction_points + excluded.satisfaction_points,
    satisfaction_count = cell_day_outcomes.satisfaction_count + excluded.satisfaction_count;

INSERT INTO cell_day_outcomes (organization_id, day, provider_department_id, consumer_department_id,
    delivered_on_time, delivered, input_complete, input_partial, input_poor)
SELECT organization_id, SUBSTR(resolved_at, 1, 10), provider_department_id, consumer_department_id,
       SUM(CASE WHEN delivered_on_time = 1 THEN 1 ELSE 0 END),
       SUM(CASE WHEN delivered_on_time IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN input_quality = 'complete' THEN 1 ELSE 0 END),
       SUM(CASE WHEN input_quality = 'partial' THEN 1 ELSE 0 END),
       SUM(CASE WHEN input_quality = 'poor' THEN 1 ELSE 0 END)
FROM requests WHERE resolved_at IS NOT NULL AND consumer_department_id IS NOT NULL
    AND (delivered_on_time IS NOT NULL OR input_quality IS NOT NULL)
GROUP BY 1, 2, 3, 4
ON CONFLICT (organization_id, day, provider_department_id, consumer_department_id) DO UPDATE SET
    delivered_on_time = cell_day_outcomes.delivered_on_time + excluded.delivered_on_time,
    delivered = cell_day_outcomes.delivered + excluded.delivered,
    input_complete = cell_day_outcomes.input_complete + excluded.input_complete,
    input_partial = cell_day_outcomes.input_partial + excluded.input_partial,
    input_poor = cell_day_outcomes.input_poor + excluded.input_poor;

INSERT INTO cell_day_outcomes (organization_id, day, provider_department_id, consumer_department_id, responded_in_time, response_judged)
SELECT r.organization_id, SUBSTR(r.created_at, 1, 10), r.provider_department_id, r.consumer_department_id,
       SUM(CASE WHEN r.first_response_met = 1 THEN 1 ELSE 0 END), COUNT(*)
FROM requests r WHERE r.consumer_department_id IS NOT NULL AND (r.first_response_met IS NOT NULL OR EXISTS
    (SELECT 1 FROM request_escalations e WHERE e.organization_id = r.organization_id AND e.request_id = r.id
     AND e.clock = 'first_response' AND e.level = 'breached'))
GROUP BY 1, 2, 3, 4
ON CONFLICT (organization_id, day, provider_department_id, consumer_department_id) DO UPDATE SET
    responded_in_time = cell_day_outcomes.responded_in_time + excluded.responded_in_time,
    response_judged = cell_day_outcomes.response_judged + excluded.response_judged;
