-- The steps worker asks, for each due step, whether an earlier step of its payment is still
-- pending. This index answers that in one probe. Without it, while the table's statistics
-- still described it empty, PostgreSQL planned a nested loop over every pending step: 450 ms
-- a batch with 1,500 pending under load (docs/benchmarks.md).
CREATE INDEX payment_steps_pending ON payment_steps (payment_id, id) WHERE state = 'pending';
