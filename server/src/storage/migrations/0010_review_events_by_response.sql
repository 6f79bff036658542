-- A phone's pull carries the latest review of each of its interviews a supervisor sent back
-- or rejected (with the comment): found by response, newest first.
CREATE INDEX IF NOT EXISTS review_events_by_response ON review_events (response_id, id);
