-- The agent directory (SearchAgents) finds agents by city, case-insensitively. `city_key` is the
-- city lowercased by the service (Unicode-aware, where SQLite's LOWER folds ASCII only), written
-- with every change of `city`. Rows from before this column are keyed by LOWER(city).
ALTER TABLE profiles ADD COLUMN city_key TEXT NOT NULL DEFAULT '';
UPDATE profiles SET city_key = LOWER(city);
CREATE INDEX profiles_city_key ON profiles (city_key);
