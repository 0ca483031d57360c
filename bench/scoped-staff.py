#!/usr/bin/env python3
"""Staff with narrow data scopes on the 1M-customer database, for the console benchmark.

Creates rep01..rep50 (sales_rep: own customers), a custom `team_lead` role (team scope), a team
of rep01..rep05 and the lead, and an owner; then gives each rep 2,000 customers spread over the
id range (ids with id % 500 == k) and leaves the rest in the shared pool. Passwords are
`bench-console-password`. Run with no server on the database:

    bench/scoped-staff.py [/tmp/guanxi-bench-1m.db]
    target/release/console-load --email rep01@example.com --ids-file /tmp/guanxi-bench-work/ids-rep01.txt …
"""
import sqlite3, subprocess, sys, time

DB = sys.argv[1] if len(sys.argv) > 1 else "/tmp/guanxi-bench-1m.db"
BIN = "target/release/guanxi"
PASSWORD = "bench-console-password"
now = int(time.time() * 1000)


def user(email, role):
    subprocess.run(
        [BIN, "--config", "/nonexistent.toml", "--database-url", f"sqlite://{DB}", "user",
         "create", "--email", email, "--role", role, "--password-stdin"],
        input=PASSWORD + "\n", text=True, capture_output=True)


db = sqlite3.connect(DB)
db.execute(
    "INSERT OR IGNORE INTO roles (key, name, permissions, scope, field_name, field_phone, "
    "field_email, field_address, updated_at) VALUES ('team_lead', 'Team lead', "
    "'customers:view,customers:edit,orders:view,events:view', 'team', 'revealable', "
    "'revealable', 'revealable', 'revealable', ?)", (now,))
db.execute("INSERT OR IGNORE INTO teams (id, name, created_at) VALUES (1, 'East', ?)", (now,))
db.commit()
for n in range(1, 51):
    user(f"rep{n:02}@example.com", "sales_rep")
user("lead@example.com", "team_lead")
user("owner@example.com", "owner")
ids = {e: i for i, e in db.execute("SELECT id, email FROM users")}
team = [ids[f"rep{n:02}@example.com"] for n in range(1, 6)] + [ids["lead@example.com"]]
db.executemany("UPDATE users SET team_id = 1 WHERE id = ?", [(u,) for u in team])
for n in range(1, 51):
    db.execute(
        "UPDATE customers SET owner_user_id = ?, owner_since = ? "
        "WHERE merged_into IS NULL AND id % 500 = ?", (ids[f"rep{n:02}@example.com"], now, n))
db.commit()
db.execute("ANALYZE")
with open("/tmp/guanxi-bench-work/ids-rep01.txt", "w") as f:
    for (i,) in db.execute("SELECT id FROM customers WHERE owner_user_id = ?",
                           (ids["rep01@example.com"],)):
        f.write(f"{i}\n")
with open("/tmp/guanxi-bench-work/ids-team1.txt", "w") as f:
    for (i,) in db.execute(
            "SELECT id FROM customers WHERE owner_user_id IN (SELECT id FROM users WHERE team_id = 1)"):
        f.write(f"{i}\n")
print("staff and owners in place")
