-- The W3C trace context (traceparent, tracestate) of whatever asked for a step, so the provider
-- call and the payment event it ends in join the booking saga's trace; empty without one.
ALTER TABLE payment_steps ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_steps ADD COLUMN tracestate TEXT NOT NULL DEFAULT '';
