-- The operator's gauges count the events delivery gave up on at every
-- scrape: a partial index keeps that count off the table.
CREATE INDEX events_dead ON events (seq) WHERE state = 'dead';
