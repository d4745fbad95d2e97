-- A person's own time zone (an IANA name); NULL means their department's
-- calendar zone, then UTC. Existing people keep NULL, so every time they
-- are shown follows their department's calendar until they choose.
ALTER TABLE people ADD COLUMN time_zone TEXT;
