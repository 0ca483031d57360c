-- Customers get an owner among the staff (issue 3): roles with an `own` or `team` data scope
-- see only the customers they or their team own; a customer nobody owns sits in the shared pool.
-- `owner_since` is when the current owner took the customer on (recall rules will read it).
ALTER TABLE customers ADD COLUMN owner_user_id INTEGER REFERENCES users (id);
ALTER TABLE customers ADD COLUMN owner_since INTEGER;
-- A sales rep's list, newest first; customers in the pool are not indexed.
CREATE INDEX customers_owner ON customers (owner_user_id, id) WHERE owner_user_id IS NOT NULL;
