-- The dashboard reads a period of orders (issue 3): by time, not by a scan of every order.
CREATE INDEX orders_created_at ON orders (created_at);
