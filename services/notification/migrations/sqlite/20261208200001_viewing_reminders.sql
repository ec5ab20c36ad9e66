-- Reminders are of a kind now: a booking's check-in (`check_in`, every row before this) or a
-- lead's viewing (`viewing`). The `booking` column holds the reminded thing's name:
-- `bookings/{booking}`, or `leads/{lead}` (a lead holds one viewing at a time, so booking
-- another replaces its reminder). For a viewing, `guest_id` is the person who asked, '' when
-- they asked without an account (only the agent is reminded), and `host_id` the agent.
ALTER TABLE reminders ADD COLUMN kind TEXT NOT NULL DEFAULT 'check_in';
