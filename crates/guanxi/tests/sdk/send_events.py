"""Sends page, track, identify and alias calls through the real segment-analytics-python SDK.

Usage: send_events.py HOST WRITE_KEY RUN_ID

The calls go out in three flushes (three batches), like a visitor who browses anonymously,
signs up, then shops. Every call carries a known messageId (`RUN_ID-...`). Prints the
messageIds as a JSON list on the last line of stdout. Exits 1 if the SDK gave up on any
message (its `on_error` callback ran).
"""

import json
import sys

import segment.analytics as analytics

host, write_key, run = sys.argv[1:4]

errors = []
analytics.write_key = write_key
analytics.host = host
analytics.on_error = lambda error, batch: errors.append(f"{error} ({len(batch)} messages)")
analytics.max_retries = 5
analytics.timeout = 10

sent = []


def message_id(name):
    sent.append(f"{run}-{name}")
    return sent[-1]


user = f"{run}-user"
anonymous = f"{run}-anon"

# 1. Browsing anonymously.
analytics.page(anonymous_id=anonymous, category="Shop", name="Home",
               properties={"url": "https://shop.example/"}, message_id=message_id("page-1"))
analytics.track(anonymous_id=anonymous, event="Product Viewed",
                properties={"sku": "SC-01", "name": "Silk Scarf", "price": 88.0},
                message_id=message_id("track-viewed"))
analytics.flush()

# 2. Signing up: the user id gets the traits, and the anonymous visitor is aliased to it.
analytics.identify(user, {"email": f"{run}@example.com", "name": "Py Thon"},
                   message_id=message_id("identify-1"))
analytics.alias(anonymous, user, message_id=message_id("alias-1"))
analytics.flush()

# 3. Shopping.
for n in range(5):
    analytics.track(user, "Product Added", {"sku": f"SKU-{n}", "price": 10.0 + n, "quantity": 1},
                    message_id=message_id(f"track-added-{n}"))
analytics.page(user, "Shop", "Cart", {"url": "https://shop.example/cart"}, message_id=message_id("page-cart"))
analytics.flush()
analytics.shutdown()

for error in errors:
    print(f"on_error: {error}", file=sys.stderr)
print(json.dumps(sent))
sys.exit(1 if errors else 0)
