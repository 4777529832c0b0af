"""What checking an API key costs per request, measured in-process (no HTTP, no other server).

Each measure compares a heartbeat request without a key (loopback under the ``local`` policy:
nothing to check) with the same request carrying ``Authorization: Bearer <key>`` of a watcher
key:

- the gate: ``Gate.authenticate`` on a fresh request each call (parsing the header, the key's
  SHA-256 and lookup, its checks, the rate-limit counts), less the cost of making the request
  context alone;
- the whole request through the app's WSGI callable (prebuilt environs, so no client work is
  timed): the gate plus everything else a key changes (the endpoint's scope check, the
  X-RateLimit-* headers);
- with ``--breakdown``, the median time of each request hook and of the view, keyless and
  keyed: where the difference goes.

Many short runs, the least counting (as timeit advises): noise from other processes on a
shared machine only ever adds time.

    python -m bench.auth_gate [--quick] [--breakdown]
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.test import EnvironBuilder

from aw_server.app import create_app
from aw_server.auth.config import AuthConfig
from aw_server.auth.keyring import MAX_RATE_LIMIT, KeyRing
from aw_server.auth.policy import Gate
from aw_server.auth.ratelimit import RateLimiter
from aw_server.config import Config
from bench import data
from bench.workloads import heartbeat_body

PATH = "/api/0/buckets/{bucket}/heartbeat?pulsetime=5"
LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}
Environ = dict[str, Any]


@dataclass(frozen=True)
class GateFigures:
    """Microseconds per request without and with a key: the gate alone, the whole request."""

    gate_keyless_us: float
    gate_keyed_us: float
    request_keyless_us: float
    request_keyed_us: float

    @property
    def gate_cost_us(self) -> float:
        return self.gate_keyed_us - self.gate_keyless_us

    @property
    def request_cost_us(self) -> float:
        return self.request_keyed_us - self.request_keyless_us

    def to_json_dict(self) -> dict[str, float]:
        return {
            "gate_keyless_us": self.gate_keyless_us,
            "gate_keyed_us": self.gate_keyed_us,
            "gate_cost_us": self.gate_cost_us,
            "request_keyless_us": self.request_keyless_us,
            "request_keyed_us": self.request_keyed_us,
            "request_cost_us": self.request_cost_us,
        }


@dataclass(frozen=True)
class Sizes:
    gate_calls: int  # fresh requests per gate run
    gate_runs: int
    blocks: int  # alternating blocks of whole requests, each way
    per_block: int


QUICK = Sizes(gate_calls=500, gate_runs=20, blocks=20, per_block=50)
FULL = Sizes(gate_calls=1000, gate_runs=60, blocks=60, per_block=50)


@contextmanager
def bench_app() -> Iterator[tuple[Flask, str]]:
    """A fresh app on a temporary SQLite file, and the secret of a watcher key on it (its own
    limit set to the maximum, so the limiter counts but never refuses)."""
    with tempfile.TemporaryDirectory(prefix="aw-bench-gate-") as tmp:
        config = Config(data_dir=tmp, dbpath=str(Path(tmp) / "aw.sqlite"))
        app = create_app(config)
        try:
            keyring: KeyRing = app.extensions["aw_keys"]
            _, secret = keyring.create("bench", preset="watcher", rate_limit=MAX_RATE_LIMIT)
            yield app, secret
        finally:
            app.extensions["aw"].storage.close()


def variants(secret: str) -> dict[str, dict[str, str]]:
    """The request headers of each way of asking."""
    return {"keyless": {}, "keyed": {"Authorization": f"Bearer {secret}"}}


def environ(headers: dict[str, str], bucket: str, i: int) -> Environ:
    """The WSGI environ of heartbeat number ``i`` to ``bucket``."""
    builder = EnvironBuilder(
        path=PATH.format(bucket=bucket),
        method="POST",
        json=heartbeat_body(i),
        headers=list(headers.items()),
        environ_base=LOOPBACK,
    )
    return builder.get_environ()


# -- the gate alone -------------------------------------------------------------------------------


def time_gate_runs(app: Flask, call: Callable[[], None], environs: list[Environ]) -> float:
    """Seconds to make a request context for each environ and ``call()`` inside it."""
    started = time.perf_counter()
    for env in environs:
        with app.request_context(dict(env)):
            call()
    return time.perf_counter() - started


def time_gate(app: Flask, secret: str, sizes: Sizes) -> tuple[float, float]:
    """Microseconds of ``Gate.authenticate`` per fresh request (keyless, keyed): the best run
    of each, less the best run making the request contexts alone."""
    keyring: KeyRing = app.extensions["aw_keys"]
    gate = Gate(AuthConfig(), keyring, RateLimiter())  # as the app's: the default policy
    headers = variants(secret)
    environs = {
        name: [environ(h, "b", i) for i in range(sizes.gate_calls)] for name, h in headers.items()
    }
    runs: dict[str, tuple[Callable[[], None], list[Environ]]] = {
        "base": (lambda: None, environs["keyless"]),
        "keyless": (gate.authenticate, environs["keyless"]),
        "keyed": (gate.authenticate, environs["keyed"]),
    }
    best = dict.fromkeys(runs, float("inf"))
    for run in range(sizes.gate_runs):
        for name in runs if run % 2 == 0 else reversed(runs):
            call, envs = runs[name]
            best[name] = min(best[name], time_gate_runs(app, call, envs))
    per_call = {name: seconds / sizes.gate_calls * 1e6 for name, seconds in best.items()}
    return per_call["keyless"] - per_call["base"], per_call["keyed"] - per_call["base"]


# -- whole requests -------------------------------------------------------------------------------


def serve(app: Flask, env: Environ) -> None:
    """One request through the app's WSGI callable; its body is read, its status checked."""
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda chunk: None  # the legacy write(): the app does not use it

    body = b"".join(app(env, start_response))
    if not statuses[0].startswith("200"):
        raise RuntimeError(f"{env['PATH_INFO']}: {statuses[0]} {body[:200]!r}")


def create_buckets(app: Flask, secret: str) -> None:
    client = app.test_client()
    for name, headers in variants(secret).items():
        response = client.post(
            f"/api/0/buckets/gate-{name}",
            json={"client": "bench", "type": "test", "hostname": data.HOST},
            headers=headers,
        )
        if response.status_code != 200:
            raise RuntimeError(f"create gate-{name}: {response.status_code}")


def request_blocks(secret: str, sizes: Sizes) -> Iterable[tuple[str, list[Environ]]]:
    """(way, environs) blocks of heartbeats, keyless and keyed alternating (and which goes
    first alternating too), each way on its own bucket."""
    headers = variants(secret)
    for block in range(sizes.blocks):
        names = list(headers) if block % 2 == 0 else list(reversed(headers))
        indices = range(block * sizes.per_block, (block + 1) * sizes.per_block)
        for name in names:
            yield name, [environ(headers[name], f"gate-{name}", i) for i in indices]


def time_requests(app: Flask, secret: str, sizes: Sizes) -> tuple[float, float]:
    """Microseconds per whole heartbeat request (keyless, keyed): the best block of each."""
    create_buckets(app, secret)
    best = {"keyless": float("inf"), "keyed": float("inf")}
    for name, environs in request_blocks(secret, sizes):
        started = time.perf_counter()
        for env in environs:
            serve(app, env)
        best[name] = min(best[name], (time.perf_counter() - started) / len(environs) * 1e6)
    return best["keyless"], best["keyed"]


def measure(quick: bool = False) -> GateFigures:
    sizes = QUICK if quick else FULL
    with bench_app() as (app, secret):
        gate_keyless, gate_keyed = time_gate(app, secret, sizes)
        request_keyless, request_keyed = time_requests(app, secret, sizes)
    return GateFigures(gate_keyless, gate_keyed, request_keyless, request_keyed)


def describe(figures: GateFigures, limit_us: float = 20.0) -> str:
    verdict = "within" if figures.gate_cost_us <= limit_us else "OVER"
    share = figures.request_cost_us / figures.request_keyless_us
    return (
        f"Auth gate, in-process, per request: Gate.authenticate {figures.gate_keyless_us:.1f} µs "
        f"without a key, {figures.gate_keyed_us:.1f} µs with one "
        f"({figures.gate_cost_us:+.1f} µs, {verdict} the {limit_us:.0f} µs target); a whole "
        f"heartbeat through the WSGI app {figures.request_keyless_us:.0f} µs without a key, "
        f"{figures.request_keyed_us:.0f} µs with one ({figures.request_cost_us:+.0f} µs, "
        f"{share:+.1%})."
    )


# -- where the time goes --------------------------------------------------------------------------


def timed(
    call: Callable[..., Any], name: str, way: list[str], times: dict[tuple[str, str], list[float]]
) -> Callable[..., Any]:
    """``call`` noting each call's duration under (the current way, name)."""

    @functools.wraps(call)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            times[(way[0], name)].append(time.perf_counter() - started)

    return wrapper


def breakdown(quick: bool = False) -> str:
    """The median microseconds of each request hook, of the view and of the whole request,
    keyless and keyed (the hooks are wrapped through Flask's own hook lists)."""
    sizes = QUICK if quick else FULL
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    way = ["setup"]
    with bench_app() as (app, secret):
        for hooks, kind in (
            (app.before_request_funcs, "before"),
            (app.after_request_funcs, "after"),
        ):
            funcs = hooks[None]
            for index, hook in enumerate(funcs):
                funcs[index] = timed(hook, f"{kind}: {hook.__qualname__}", way, times)
        for endpoint, view in list(app.view_functions.items()):
            app.view_functions[endpoint] = timed(view, f"view: {endpoint}", way, times)
        create_buckets(app, secret)
        for name, environs in request_blocks(secret, sizes):
            way[0] = name
            for env in environs:
                started = time.perf_counter()
                serve(app, env)
                times[(name, "whole request")].append(time.perf_counter() - started)
    names = sorted({name for w, name in times if w != "setup"})
    width = max(len(n) for n in names)
    lines = [f"{'median µs':<{width}}  {'keyless':>8}  {'keyed':>8}  {'diff':>7}"]
    for name in names:
        medians = [_median(times.get((w, name), [])) for w in ("keyless", "keyed")]
        lines.append(
            f"{name:<{width}}  {medians[0]:8.1f}  {medians[1]:8.1f}  {medians[1] - medians[0]:+7.1f}"
        )
    return "\n".join(lines)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2] * 1e6 if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.auth_gate", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--breakdown", action="store_true", help="also time each request hook, keyless and keyed"
    )
    args = parser.parse_args()
    print(describe(measure(args.quick)))
    if args.breakdown:
        print()
        print(breakdown(args.quick))


if __name__ == "__main__":
    main()
