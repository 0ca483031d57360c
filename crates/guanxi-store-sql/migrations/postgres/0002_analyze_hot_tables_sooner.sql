-- Identity resolution looks customers' identities up by lists of ids; with stale statistics
-- (a young, fast-growing table) PostgreSQL scans the whole table instead of the index. Analyse
-- the tables the writer reads every batch after 2% growth rather than the default 10%.
ALTER TABLE identities SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
ALTER TABLE customers SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
ALTER TABLE orders SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
ALTER TABLE receipts SET (autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);
