-- Intake finds an order's customer by e-mail, case-insensitively, on every order; without
-- this index that was a scan of every customer.
CREATE INDEX customers_email_nocase ON customers(email COLLATE NOCASE);
