"""The webhook store's contract, the same for SQLite and memory: queue order, heads of enabled
webhooks only, deliveries dropped for a webhook gone or disabled, cascade, make_due, pruning,
and the outbox's subscriptions."""

from __future__ import annotations

from dataclasses import replace

from aw_server.service import Occurrence
from aw_server.storage import Storage
from aw_server.webhooks.model import DELIVERED, FAILED, PENDING, Webhook, new_delivery
from aw_server.webhooks.outbox import Outbox
from aw_server.webhooks.store import WebhookStore, open_webhook_store


def _webhook(webhook_id: str, events: tuple[str, ...] = ("*",), enabled: bool = True) -> Webhook:
    return Webhook(
        id=webhook_id,
        url="https://example.com/",
        events=events,
        description=None,
        secret="whsec_AAAA",
        enabled=enabled,
        disabled_reason=None,
        consecutive_failures=0,
        created_us=len(webhook_id),
    )


def _add(storage: Storage, store: WebhookStore, *webhooks: Webhook) -> None:
    def add() -> None:
        for webhook in webhooks:
            store.add_webhook(webhook)

    storage.write(add)


def _queue(storage: Storage, store: WebhookStore, webhook_id: str, count: int, at: int) -> None:
    deliveries = [
        new_delivery(webhook_id, f"evt_{webhook_id}_{n}", "ping", b"{}", at) for n in range(count)
    ]
    storage.write(lambda: store.add_deliveries(deliveries))


def test_heads_follow_id_order_per_enabled_webhook(storage: Storage) -> None:
    store = open_webhook_store(storage)
    _add(storage, store, _webhook("wh_a"), _webhook("wh_bb"), _webhook("wh_off"))
    for name in ("wh_a", "wh_bb", "wh_off"):
        _queue(storage, store, name, 3, 100)
    storage.write(lambda: store.save_webhook(_webhook("wh_off", enabled=False)))
    heads = {h.webhook_id: h for h in store.heads()}
    assert set(heads) == {"wh_a", "wh_bb"}
    waiting = store.head("wh_off")  # made before it was disabled: it waits, pending
    assert waiting is not None and waiting.event_id == "evt_wh_off_0"
    first = heads["wh_a"]
    assert first.event_id == "evt_wh_a_0" and first.id < heads["wh_bb"].id
    storage.write(lambda: store.save_delivery(replace(first, status=DELIVERED)))
    head = store.head("wh_a")
    assert head is not None and head.event_id == "evt_wh_a_1"
    assert store.get_delivery("wh_bb", first.id) is None  # another webhook's delivery
    items, total = store.deliveries("wh_a", 2, 0)
    assert total == 3 and [d.event_id for d in items] == ["evt_wh_a_2", "evt_wh_a_1"]


def test_deliveries_for_a_gone_or_disabled_webhook_are_dropped(storage: Storage) -> None:
    store = open_webhook_store(storage)
    storage.write(lambda: store.add_webhook(_webhook("wh_off", enabled=False)))
    _queue(storage, store, "wh_off", 2, 100)
    _queue(storage, store, "wh_missing", 2, 100)  # no foreign-key failure for the write
    assert store.deliveries("wh_off", 10, 0) == ([], 0)
    assert store.deliveries("wh_missing", 10, 0) == ([], 0)


def test_make_due_delete_and_prune(storage: Storage) -> None:
    store = open_webhook_store(storage)
    storage.write(lambda: store.add_webhook(_webhook("wh_a")))
    _queue(storage, store, "wh_a", 3, 5_000)
    storage.write(lambda: store.make_due("wh_a", 1_000))
    assert {d.next_attempt_us for d in store.deliveries("wh_a", 10, 0)[0]} == {1_000}
    old, kept, fresh = sorted(store.deliveries("wh_a", 10, 0)[0], key=lambda d: d.id)
    storage.write(lambda: store.save_delivery(replace(old, status=FAILED, updated_us=10)))
    storage.write(lambda: store.save_delivery(replace(fresh, status=DELIVERED, updated_us=90)))
    assert storage.write(lambda: store.prune(50)) == 1
    remaining = store.deliveries("wh_a", 10, 0)[0]
    assert {d.id for d in remaining} == {kept.id, fresh.id}
    assert next(d for d in remaining if d.id == kept.id).status == PENDING
    assert storage.write(lambda: store.delete_webhook("wh_a"))
    assert store.deliveries("wh_a", 10, 0) == ([], 0) and store.head("wh_a") is None
    assert not storage.write(lambda: store.delete_webhook("wh_a"))


def test_the_outbox_listens_for_what_enabled_webhooks_subscribe_to(storage: Storage) -> None:
    store = open_webhook_store(storage)
    woken: list[bool] = []
    outbox = Outbox(store, lambda: woken.append(True))
    hooks = [
        _webhook("wh_a", ("bucket.created",)),
        _webhook("wh_bb", ("event.created", "bucket.created")),
        _webhook("wh_off", ("*",), enabled=False),
    ]
    _add(storage, store, *hooks)
    assert not outbox.listening("bucket.created")  # not refreshed yet
    outbox.refresh()
    assert outbox.listening("bucket.created") and outbox.listening("event.created")
    assert not outbox.listening("event.deleted")  # only the disabled webhook takes everything
    storage.write(
        lambda: outbox.write(
            [Occurrence("bucket.created", {"id": "b"}), Occurrence("event.created", {"n": 1})]
        )
    )
    a, bb = store.deliveries("wh_a", 10, 0)[0], store.deliveries("wh_bb", 10, 0)[0][::-1]
    assert [d.type for d in a] == ["bucket.created"]
    assert [d.type for d in bb] == ["bucket.created", "event.created"]
    assert a[0].body == bb[0].body and a[0].event_id == bb[0].event_id
    assert store.deliveries("wh_off", 10, 0)[1] == 0 and woken == [True]
