-- A rotated key is published before it signs: it signs from signs_from (NULL: from created_at),
-- and the key it replaces retires at that moment (retired_at may lie in the future).
ALTER TABLE signing_keys ADD COLUMN signs_from BIGINT;
