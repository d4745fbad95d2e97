-- A provider's queue reads its open requests only: an index of the open
-- requests alone, per provider, so the queue never walks the years of
-- finished work a department has behind it.
CREATE INDEX requests_open_by_provider ON requests (organization_id, provider_department_id)
    WHERE status NOT IN ('resolved', 'closed', 'cancelled');
