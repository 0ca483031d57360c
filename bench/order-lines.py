#!/usr/bin/env python3
"""Exports a SQLite Guanxi database's counted order lines as the CSV `guanxi evaluate
recommendations` reads: customer_id,order_id,date,sku (date as RFC 3339, UTC).

Usage: bench/order-lines.py DATABASE.db OUT.csv
"""
import csv
import datetime
import sqlite3
import sys


def main() -> None:
    db, out = sys.argv[1], sys.argv[2]
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT o.customer_id, o.id, o.created_at, i.sku FROM orders o "
        "JOIN order_items i ON i.order_id = o.id "
        "WHERE o.status IN ('paid', 'shipped', 'completed', 'refunded', 'partially_refunded') "
        "ORDER BY o.customer_id, o.created_at"
    )
    count = 0
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["customer_id", "order_id", "date", "sku"])
        for customer, order, at, sku in rows:
            when = datetime.datetime.fromtimestamp(at / 1000, datetime.timezone.utc)
            w.writerow([customer, order, when.isoformat().replace("+00:00", "Z"), sku])
            count += 1
    print(f"{count} order lines written to {out}")


if __name__ == "__main__":
    main()
