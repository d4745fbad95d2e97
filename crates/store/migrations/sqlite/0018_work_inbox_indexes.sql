-- The work inbox reads, for one person, the open requests assigned to them
-- and the dates proposed on open requests. Partial indexes of the open rows
-- alone keep both reads independent of the years of finished work behind
-- them (the inbox is on every home page). No existing row changes.
CREATE INDEX requests_open_by_assignee ON requests (organization_id, assignee_person_id)
    WHERE status NOT IN ('resolved', 'closed', 'cancelled');
CREATE INDEX request_commitments_proposed ON request_commitments (organization_id, request_id)
    WHERE status = 'proposed';
CREATE INDEX topics_by_about_department ON topics (organization_id, about_department_id);
