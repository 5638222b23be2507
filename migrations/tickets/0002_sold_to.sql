-- The order that bought the ticket, so a list row is the same `Ticket` the
-- ticket's object holds (and renders through the same view). `sold` stays
-- for the availability filter. Rows sold before this column existed get the
-- nil UUID: sold, buyer order not recorded here.
ALTER TABLE tickets ADD COLUMN sold_to TEXT;
UPDATE tickets SET sold_to = '00000000-0000-0000-0000-000000000000' WHERE sold = 1;
