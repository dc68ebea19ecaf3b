-- Gloss client replica, schema 3: the epoch of the server history the cursor counts in.
-- NULL until the first page is pulled; when a pull answers another epoch the server was
-- restored from a backup, and the replica pulls from position 0 again.
ALTER TABLE remote ADD COLUMN epoch TEXT;
