-- Frequency caps count marketing messages only: an order confirmation or a journey's call to
-- the shop's own webhook must not use up a customer's allowance of marketing. Rows written
-- before this were marketing, as transactional campaigns were rare; they keep counting.
ALTER TABLE deliveries ADD COLUMN marketing BOOLEAN NOT NULL DEFAULT TRUE;
