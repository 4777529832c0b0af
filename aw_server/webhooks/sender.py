"""The background sender: posts pending deliveries, records every outcome, retries with backoff.

One dispatcher thread finds the head (oldest pending delivery) of every enabled webhook and
hands webhooks whose head is due to a few worker threads (``WORKERS``). A worker sends one
webhook's deliveries one at a time, in id order, so a receiver sees them in the order they
happened; it records each attempt in its own committed transaction and moves on to the next
head while that is due. Deliveries are sent at least once: one whose attempt was cut short (a
crash, a kill) is still pending and goes again after a restart, with the same ``webhook-id``.

The dispatcher is woken by the outbox when it adds deliveries. That happens inside the
write's transaction, so the dispatcher reads the heads through ``storage.write``: it queues
behind the transaction and sees it committed.

Failures: anything but a 2xx (a 3xx too: redirects are not followed), a timeout, a refused
or failed connection, or an address the SSRF guard refuses. After a failed attempt the next
comes after the schedule's delay (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, each ±10 %), or after
a 429's or 503's ``Retry-After`` (at most 24 h); after the last, the delivery has failed.
A 410 fails the delivery and disables the webhook at once. A webhook is also disabled when
``disable_after`` (5) deliveries in a row have failed for good: counting deliveries rather
than attempts means the whole retry schedule runs first, so the receiver has been failing for
days (about 3.7 with the default schedule, since deliveries wait in line) before it is
disabled, near what Standard Webhooks senders allow; counting attempts would disable it after
2.6 hours, before the schedule's own later retries ever ran. A delivered delivery resets the count.
"""

from __future__ import annotations

import http.client
import logging
import queue
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from aw_server.storage.base import Storage
from aw_server.webhooks import ssrf
from aw_server.webhooks.model import (
    DELIVERED,
    FAILED,
    MAX_RESPONSE_CHARS,
    PENDING,
    RECEIVER_GONE,
    TOO_MANY_FAILURES,
    Delivery,
    Webhook,
)
from aw_server.webhooks.outbox import now_us
from aw_server.webhooks.signing import delivery_headers
from aw_server.webhooks.store import WebhookStore

logger = logging.getLogger(__name__)

WORKERS = 4
MAX_ERROR_CHARS = 500
IDLE_WAIT = 60.0  # seconds the dispatcher sleeps with nothing due (a wake ends it sooner)
KEEP_FINISHED_US = 30 * 86_400_000_000  # delivered and failed deliveries are kept 30 days
PRUNE_EVERY = 3600.0
FAULT_PAUSE = 5.0  # seconds a webhook rests after its sending failed unexpectedly


@dataclass(frozen=True)
class Schedule:
    """When to try again and when to give up (tests make it fast)."""

    delays: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000)  # seconds after a failure
    jitter: float = 0.1  # each delay is scaled by a random factor in [1 - jitter, 1 + jitter]
    max_retry_after: float = 86400.0
    disable_after: int = 5  # deliveries failed in a row
    timeout: float = 10.0  # connecting, sending, and each read of the answer


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: a status code (None when no answer came) or an error."""

    status_code: int | None
    error: str | None = None
    response: str | None = None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds, or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def next_state(
    delivery: Delivery, outcome: Outcome, schedule: Schedule, now: int, rng: random.Random
) -> Delivery:
    """The delivery after an attempt with this outcome."""
    attempts = delivery.attempts + 1
    status, next_attempt = DELIVERED, None
    if not outcome.delivered:
        status = FAILED
        index = attempts - 1
        if outcome.status_code != 410 and index < len(schedule.delays):
            delay = schedule.delays[index] * rng.uniform(1 - schedule.jitter, 1 + schedule.jitter)
            if outcome.status_code in (429, 503) and outcome.retry_after is not None:
                delay = min(outcome.retry_after, schedule.max_retry_after)
            status, next_attempt = PENDING, now + int(delay * 1_000_000)
    return replace(
        delivery,
        status=status,
        attempts=attempts,
        next_attempt_us=next_attempt,
        last_status_code=outcome.status_code,
        last_error=outcome.error,
        last_response=outcome.response,
        updated_us=now,
    )


def webhook_after(webhook: Webhook, delivery: Delivery, schedule: Schedule) -> Webhook:
    """The webhook after one of its deliveries reached ``delivery``'s state."""
    if delivery.status == DELIVERED:
        return replace(webhook, consecutive_failures=0)
    if delivery.status != FAILED:
        return webhook
    failures = webhook.consecutive_failures + 1
    if delivery.last_status_code == 410:
        return replace(
            webhook, consecutive_failures=failures, enabled=False, disabled_reason=RECEIVER_GONE
        )
    if failures >= schedule.disable_after:
        return replace(
            webhook,
            consecutive_failures=failures,
            enabled=False,
            disabled_reason=TOO_MANY_FAILURES,
        )
    return replace(webhook, consecutive_failures=failures)


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"timed out (no answer within {timeout:g} s)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    text = str(exc) or type(exc).__name__
    return text[:MAX_ERROR_CHARS]


def post(target: ssrf.Target, headers: dict[str, str], body: bytes, timeout: float) -> Outcome:
    """POST the body to the target's checked address; no redirect is followed."""
    conn = ssrf.connection(target, timeout)
    try:
        conn.request(
            "POST", target.path, body=body, headers={**headers, "Host": target.host_header}
        )
        response = conn.getresponse()
        # at most 1 KB of the answer is kept, so no more is read
        text = response.read(MAX_RESPONSE_CHARS).decode("utf-8", "replace")[:MAX_RESPONSE_CHARS]
        status = response.status
        error = None
        if 300 <= status < 400:
            location = response.getheader("Location") or "nowhere"
            error = f"redirect {status} to {location[:200]} not followed"
        elif not 200 <= status < 300:
            error = f"HTTP {status} {response.reason}"[:MAX_ERROR_CHARS]
        return Outcome(status, error, text, retry_after(response.getheader("Retry-After")))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(None, _describe(exc, timeout))
    finally:
        conn.close()


@dataclass
class Sender:
    """Started with the server, stopped with it; ``wake`` says there may be work."""

    storage: Storage
    store: WebhookStore
    allow_private: bool
    on_webhooks_changed: Callable[[], None]  # the outbox's refresh
    schedule: Schedule = field(default_factory=Schedule)
    workers: int = WORKERS
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._jobs: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._in_flight: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._last_prune = 0.0

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            return
        self._threads = [threading.Thread(target=self._dispatch, name="webhooks", daemon=True)]
        self._threads += [
            threading.Thread(target=self._work, name=f"webhooks-{n}", daemon=True)
            for n in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop and wait (a little) for attempts in progress; one cut short stays pending."""
        self._stopping.set()
        self._wake.set()
        for _ in range(self.workers):
            self._jobs.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def wake(self) -> None:
        self._wake.set()

    # -- the dispatcher --------------------------------------------------------------------

    def _dispatch(self) -> None:
        wait = 0.0  # deliveries left pending by the last run are looked for at once
        while not self._stopping.is_set():
            self._wake.wait(wait)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                wait = self._hand_out()
                self._prune()
            except Exception:
                logger.exception("the webhook sender failed; trying again in a minute")
                wait = IDLE_WAIT

    def _hand_out(self) -> float:
        """Hand every due head to the workers; seconds until the next head is due."""
        heads = self.storage.write(self.store.heads)  # queued behind the waking transaction
        now = now_us()
        soonest: int | None = None
        for head in heads:
            due = head.next_attempt_us or 0
            with self._lock:
                if head.webhook_id in self._in_flight:
                    continue
                if due <= now:
                    self._in_flight.add(head.webhook_id)
                    self._jobs.put(head.webhook_id)
                    continue
            soonest = due if soonest is None else min(soonest, due)
        return IDLE_WAIT if soonest is None else min(IDLE_WAIT, (soonest - now) / 1_000_000)

    def _prune(self) -> None:
        if time.monotonic() - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = time.monotonic()
        before = now_us() - KEEP_FINISHED_US
        removed = self.storage.write(lambda: self.store.prune(before))
        if removed:
            logger.info("forgot %d webhook deliveries older than 30 days", removed)

    # -- the workers -----------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            webhook_id = self._jobs.get()
            if webhook_id is None:
                return
            try:
                self._send_queue(webhook_id)
            except Exception:
                logger.exception("the webhook sender failed on webhook %s", webhook_id)
                # held as in flight a while, so a lasting fault (a full disk) is not retried
                # in a tight loop; what was not recorded is still pending and goes again
                self._stopping.wait(FAULT_PAUSE)
            finally:
                with self._lock:
                    self._in_flight.discard(webhook_id)
                self._wake.set()

    def _send_queue(self, webhook_id: str) -> None:
        """Send the webhook's due deliveries, oldest first, until none is due."""
        webhook, head = self.store.get_webhook(webhook_id), self.store.head(webhook_id)
        while webhook is not None and head is not None and webhook.enabled:
            if self._stopping.is_set() or (head.next_attempt_us or 0) > now_us():
                return
            outcome = self.attempt(webhook, head)
            webhook, head = self._record(head, outcome)

    def attempt(self, webhook: Webhook, delivery: Delivery) -> Outcome:
        """One attempt, signed for now, through the SSRF guard."""
        headers = delivery_headers(
            webhook.secret, delivery.event_id, delivery.type, int(time.time()), delivery.body
        )
        try:
            target = ssrf.resolve(webhook.url, self.allow_private)
        except ssrf.Refused as exc:
            return Outcome(None, str(exc)[:MAX_ERROR_CHARS])
        return post(target, headers, delivery.body, self.schedule.timeout)

    def _record(
        self, delivery: Delivery, outcome: Outcome
    ) -> tuple[Webhook | None, Delivery | None]:
        """Commit the attempt's outcome; the webhook as it is now and its next head."""
        changed = False

        def write() -> tuple[Webhook | None, Delivery | None]:
            nonlocal changed
            current = self.store.get_delivery(delivery.webhook_id, delivery.id)
            webhook = self.store.get_webhook(delivery.webhook_id)
            if current is None or webhook is None:
                return None, None  # deleted meanwhile
            if current.status == PENDING:
                updated = next_state(current, outcome, self.schedule, now_us(), self.rng)
                self.store.save_delivery(updated)
                after = webhook_after(webhook, updated, self.schedule)
                if after != webhook:
                    self.store.save_webhook(after)
                    changed = after.enabled != webhook.enabled
                    webhook = after
                _log(webhook, updated, disabled=changed)
            return webhook, self.store.head(webhook.id)

        result = self.storage.write(write)
        if changed:
            self.on_webhooks_changed()
        return result


def _log(webhook: Webhook, delivery: Delivery, *, disabled: bool) -> None:
    if delivery.status == DELIVERED:
        logger.debug("webhook %s: delivery %d delivered", webhook.id, delivery.id)
        return
    logger.info(
        "webhook %s: delivery %d (%s) attempt %d failed: %s%s",
        webhook.id,
        delivery.id,
        delivery.type,
        delivery.attempts,
        delivery.last_error,
        "" if delivery.status == PENDING else "; given up",
    )
    if disabled:
        logger.warning("webhook %s disabled: %s", webhook.id, webhook.disabled_reason)
