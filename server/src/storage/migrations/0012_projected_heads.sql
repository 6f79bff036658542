-- The aggregates are folded in by a projector after the push commits, not in the push
-- (ARCHITECTURE.md, Aggregates): each response records the head and review state the
-- aggregates hold for it, so a response whose head or state moved since is one still to be
-- counted, and is counted exactly once. Up to this migration the aggregates were kept in step
-- in every transaction, so they hold every response's current head.
ALTER TABLE responses ADD COLUMN projected_seq INTEGER;
ALTER TABLE responses ADD COLUMN projected_state TEXT;
UPDATE responses SET projected_seq = head_seq, projected_state = review_state;
CREATE INDEX responses_unprojected ON responses (response_id)
    WHERE projected_seq IS DISTINCT FROM head_seq OR projected_state IS DISTINCT FROM review_state;
