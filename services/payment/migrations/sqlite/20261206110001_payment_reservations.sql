-- A payment is for a booking or for the deposit of a project unit's reservation. `booking_id`
-- is the id of what is paid for: the booking's, or the reservation's (`{reservation}`, a UUID
-- as booking ids are, so one column keeps "one payment each", the saga's step keys
-- `<id>:capture` and the authorization's uniqueness in payment_steps). A deposit's payment
-- names its reservation here, `projects/{project}/reservations/{reservation}`; a booking's
-- is empty. `ended_bookings` remembers ended reservations too, by the same id.
ALTER TABLE payments ADD COLUMN reservation TEXT NOT NULL DEFAULT '';
