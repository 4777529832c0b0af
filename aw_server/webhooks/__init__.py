"""Signed webhooks with a durable outbox.

What happens in a write (an Occurrence such as ``event.created``, see aw_server/service.py) is
written, in the write's own transaction, as one delivery per subscribed webhook (outbox.py);
a background sender (sender.py) posts them, signed two ways (signing.py), through an SSRF
guard (ssrf.py), retrying with backoff; every change of a delivery's state is committed.

A webhook's secret is stored as it is, not hashed: signing needs it (an HMAC key cannot be
checked against a hash, it must be used). It is shown once, in the answer that creates the
webhook, and never again: no list, log line or delivery record holds it.
"""
