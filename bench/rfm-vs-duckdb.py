#!/usr/bin/env python3
"""RFM by the engine against RFM by DuckDB on the same data (issue 4's benchmark).

Exports the 1M-customer benchmark database's counted orders to a CSV (customer_id,date,amount;
once, kept), runs `guanxi evaluate rfm` on it (the engine's time once the customers are in
memory), loads the same CSV into DuckDB and times the same RFM there: per customer recency,
frequency and spend, the shop's averages, the eight classes, and the quintile cuts. Checks
that both find the same customers in each class, then prints both times and the ratio.

    pip install duckdb
    bench/rfm-vs-duckdb.py [--db /tmp/guanxi-bench-1m.db] [--as-of 2026-12-06]
"""
import argparse, json, os, sqlite3, statistics, subprocess, sys, time

import duckdb

ap = argparse.ArgumentParser()
ap.add_argument("--db", default="/tmp/guanxi-bench-1m.db")
ap.add_argument("--csv", default="/tmp/guanxi-bench-orders.csv")
ap.add_argument("--as-of", default=time.strftime("%Y-%m-%d"))
ap.add_argument("--bin", default="target/release/guanxi")
ap.add_argument("--runs", type=int, default=5)
args = ap.parse_args()

if not os.path.exists(args.csv):
    src = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    with open(args.csv, "w") as out:
        out.write("customer_id,date,amount\n")
        rows = src.execute(
            "SELECT customer_id, date(created_at / 1000, 'unixepoch'), "
            "CASE WHEN status = 'refunded' THEN 0 WHEN total_minor > refunded_minor "
            "THEN total_minor - refunded_minor ELSE 0 END FROM orders WHERE currency = 'CNY' "
            "AND status IN ('paid', 'shipped', 'completed', 'refunded', 'partially_refunded')")
        for customer, day, minor in rows:
            out.write(f"{customer},{day},{minor // 100}.{minor % 100:02d}\n")

engine_runs = []
for _ in range(args.runs):
    report = json.loads(subprocess.run(
        [args.bin, "--config", "/nonexistent.toml", "evaluate", "rfm", args.csv,
         "--as-of", args.as_of], check=True, capture_output=True, text=True).stdout)
    engine_runs.append(report["engine_milliseconds"])

con = duckdb.connect()
con.execute(f"CREATE TABLE purchases AS SELECT * FROM read_csv('{args.csv}', header = true, "
            "columns = {'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DECIMAL(18,2)'})")
RFM = f"""
WITH per_customer AS (
    SELECT customer_id,
           DATE '{args.as_of}' - max(date) AS r,
           count(*) AS f,
           sum(CAST(round(amount * 100) AS BIGINT)) AS m
    FROM purchases WHERE date <= DATE '{args.as_of}' GROUP BY customer_id),
averages AS (SELECT avg(r) AS r, avg(f) AS f, avg(m) AS m FROM per_customer),
classed AS (
    SELECT (p.m > a.m) AS valuable, (p.r < a.r) AS recent, (p.f > a.f) AS frequent
    FROM per_customer p, averages a)
SELECT valuable, recent, frequent, count(*) AS n,
       (SELECT list_value(quantile_disc(r, 0.2), quantile_disc(r, 0.4),
                          quantile_disc(f, 0.2), quantile_disc(m, 0.8)) FROM per_customer) AS cuts
FROM classed GROUP BY ALL ORDER BY ALL
"""
duck_runs = []
for _ in range(args.runs):
    started = time.perf_counter()
    rows = con.execute(RFM).fetchall()
    duck_runs.append((time.perf_counter() - started) * 1000)

names = {(True, True, True): "important_value", (True, True, False): "important_develop",
         (True, False, True): "important_keep", (True, False, False): "important_retain",
         (False, True, True): "general_value", (False, True, False): "general_develop",
         (False, False, True): "general_keep", (False, False, False): "general_retain"}
duck_classes = {names[(v, r, f)]: n for v, r, f, n, _ in rows}
engine_classes = {k: v for k, v in report["classes"].items() if v}
same = duck_classes == engine_classes
print(f"customers: {report['customers']}; classes agree: {same}")
if not same:
    print(f"  engine: {engine_classes}\n  duckdb: {duck_classes}")
e, d = statistics.median(engine_runs), statistics.median(duck_runs)
print(f"engine (customers in memory): median {e:.1f} ms of {args.runs} runs {sorted(round(x, 1) for x in engine_runs)}")
print(f"DuckDB (table in memory):     median {d:.1f} ms of {args.runs} runs {sorted(round(x, 1) for x in duck_runs)}")
print(f"ratio: the engine is {d / e:.1f}x faster")
sys.exit(0 if same else 1)
