-- Totes: the picker puts each order of a list in a labelled tote, so the packing bench
-- can scan the tote instead of the list.
ALTER TABLE pick_list_orders ADD COLUMN tote TEXT;
CREATE INDEX pick_list_orders_tote ON pick_list_orders(tote) WHERE tote IS NOT NULL;
