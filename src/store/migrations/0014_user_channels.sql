-- The channels an integration user may post orders for, comma-separated. NULL: a user from
-- before bindings, who may post any public channel (the server warns about them at start).
ALTER TABLE users ADD COLUMN channels TEXT;
