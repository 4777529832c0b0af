"""Benchmark this server against the official Python aw-server 0.12.0, side by side.

    python -m bench.run            # the full run (a few minutes)
    python -m bench.run --quick    # a small version (under a minute)

Both servers run at once on free loopback ports with fresh data dirs; every workload runs on
both (alternating which goes first) and must leave the same data on both. Figures: rates and
times measured by the client, CPU seconds per request and memory read from /proc.

The row "heartbeats, one connection, with a key" runs on this server only (the official server
has no API keys): the heartbeat workload with and without ``Authorization: Bearer <key>`` in
alternating blocks, reported as keyed/keyless. The auth gate's own cost per request is then
measured in-process (bench/auth_gate.py).

The WakaTime rows run on this server only too (the official server has no WakaTime API), each
on a fresh server of its own once the pair is stopped (bench/wakatime_workloads.py).
``--only WakaTime`` runs just them, without starting the pair.
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import sys
from collections.abc import Callable
from typing import Any

from bench import auth_gate, data, wakatime_workloads, workloads
from bench.servers import ROOT, Server, official_server, our_server

SIZES = {
    "full": {
        "hb_single": 3000,
        "threads": 8,
        "per_thread": 500,
        "bulk": 100_000,
        "window": 60_000,
        "query_repeat": 3,
    },
    "quick": {
        "hb_single": 500,
        "threads": 8,
        "per_thread": 60,
        "bulk": 10_000,
        "window": 6_000,
        "query_repeat": 2,
    },
}


def run_both(
    label: str,
    servers: list[Server],
    index: int,
    work: Callable[[Server], dict[str, Any]],
    results: dict[str, Any],
) -> None:
    order = servers if index % 2 == 0 else list(reversed(servers))
    figures = {}
    for server in order:
        print(f"  {label}: {server.name} ...", end="", flush=True, file=sys.stderr)
        figures[server.name] = work(server)
        print(" done", file=sys.stderr)
    checks = {name: f.pop("check") for name, f in figures.items()}
    first, second = checks.values()
    if first != second:
        raise SystemExit(f"{label}: the servers disagree: {checks}")
    results[label] = {"figures": figures, "check": first}


def run_ours(
    label: str, server: Server, work: Callable[[Server], dict[str, Any]], results: dict[str, Any]
) -> None:
    """A workload only this server can run (the official one has no such feature)."""
    print(f"  {label}: {server.name} ...", end="", flush=True, file=sys.stderr)
    figures = work(server)
    print(" done", file=sys.stderr)
    results[label] = {"figures": {server.name: figures}, "check": figures.pop("check")}


def ratio(ours: float, theirs: float, higher_is_better: bool) -> float:
    if higher_is_better:
        return ours / theirs if theirs else float("inf")
    return theirs / ours if ours else float("inf")


ROWS = [
    # label, key, unit, higher is better
    ("heartbeats, one connection", "rate", "req/s", True),
    ("heartbeats, one connection", "p99_ms", "ms p99", False),
    ("heartbeats, 8 threads", "rate", "req/s", True),
    ("heartbeats, 8 threads", "p99_ms", "ms p99", False),
    ("bulk insert", "rate", "events/s", True),
    ("GET all events", "seconds", "s", False),
    ("query, 1 day", "seconds", "s", False),
    ("query, 7 days", "seconds", "s", False),
    ("query, 7 days, named, repeated", "seconds", "s", False),
    ("export", "seconds", "s", False),
]


KEYED = "heartbeats, one connection, with a key"
KEYED_AFTER = ("heartbeats, one connection", "p99_ms")  # the keyed rows follow the keyless ones
KEYED_TARGET = 0.95  # the keyed run within 5 % of the keyless one
GATE_TARGET_US = 20.0  # what checking a key may add to a request


def keyed_rows(figures: dict[str, Any]) -> list[str]:
    """The keyed heartbeat rows: ours with a key, the ratio to ours without in the same run."""
    keyless, keyed = figures["keyless"], figures["keyed"]
    verdict = "within" if figures["rate_ratio"] >= KEYED_TARGET else "OUTSIDE"
    return [
        f"| {KEYED} (req/s) | not run: no API keys | {keyed['rate']:.0f} | "
        f"{figures['rate_ratio']:.3f}x keyless ({keyless['rate']:.0f} req/s, same run; {verdict} "
        f"the 5 % target) | – / {keyed['cpu_ms_per_req']:.2f} (keyless "
        f"{keyless['cpu_ms_per_req']:.2f}) |",
        f"| {KEYED} (ms p50 / p99) | not run | {keyed['p50_ms']:.2f} / {keyed['p99_ms']:.2f} | "
        f"keyless {keyless['p50_ms']:.2f} / {keyless['p99_ms']:.2f} (p50 "
        f"{figures['p50_ratio'] - 1:+.1%}) | |",
    ]


def row(
    label: str, key: str, unit: str, higher: bool, figures: dict[str, Any], official: str, ours: str
) -> str:
    a, b = figures[official][key], figures[ours][key]
    cpu = (
        f"{figures[official]['cpu_ms_per_req']:.2f} / {figures[ours]['cpu_ms_per_req']:.2f}"
        if key != "p99_ms"
        else ""
    )
    digits = 0 if a >= 100 else 2 if a < 10 else 1
    return f"| {label} ({unit}) | {a:.{digits}f} | {b:.{2 if b < 10 else 0}f} | {ratio(b, a, higher):.1f}x | {cpu} |"


def render(results: dict[str, Any], official: str, ours: str) -> str:
    lines = [
        f"| workload | {official} | this server | ratio | CPU ms/req (official / ours) |",
        "|---|---|---|---|---|",
    ]
    for label, key, unit, higher in ROWS:
        if label in results:
            lines.append(row(label, key, unit, higher, results[label]["figures"], official, ours))
        if (label, key) == KEYED_AFTER and KEYED in results:
            lines += keyed_rows(results[KEYED]["figures"][ours])
    lines += wakatime_workloads.rows(results)
    if "memory" in results:  # the pair ran
        memory = results["memory"]
        lines.append(
            f"| RSS at end / peak (MiB) | {memory[official][0]:.0f} / {memory[official][1]:.0f} | "
            f"{memory[ours][0]:.0f} / {memory[ours][1]:.0f} | | |"
        )
        startup = results["startup"]
        lines.append(
            f"| startup to first answer (s) | {startup[official]:.2f} | {startup[ours]:.2f} | {startup[official] / startup[ours]:.1f}x | |"
        )
    return "\n".join(lines)


def pair_steps(
    size: dict[str, int], only: str | None
) -> list[tuple[str, Callable[[Server], dict[str, Any]]]]:
    """The workloads run on both servers (and the keyed one, on ours), ``only`` those whose
    label holds that text; the query rows bring the step loading their data. Data is made
    on first use (before any timing starts), so a run of other rows does not wait for it."""
    bulk = functools.cache(lambda: data.bulk_events(size["bulk"]))
    query_data = functools.cache(lambda: data.window_afk_web(size["window"]))
    steps: list[tuple[str, Callable[[Server], dict[str, Any]]]] = [
        (
            "heartbeats, one connection",
            lambda s: workloads.heartbeats_single(s, size["hb_single"]),
        ),
        (
            KEYED,
            lambda s: workloads.heartbeats_keyed(s, size["hb_single"], workloads.create_api_key(s)),
        ),
        (
            "heartbeats, 8 threads",
            lambda s: workloads.heartbeats_threads(s, size["threads"], size["per_thread"]),
        ),
        ("bulk insert", lambda s: workloads.bulk_insert(s, bulk())),
        ("GET all events", workloads.get_all),
        (
            "load query data",
            lambda s: (workloads.load_query_data(s, query_data()), {"check": {}})[1],
        ),
        ("query, 1 day", lambda s: workloads.query(s, 1, size["query_repeat"])),
        ("query, 7 days", lambda s: workloads.query(s, 7, size["query_repeat"])),
        (
            "query, 7 days, named, repeated",
            lambda s: workloads.query(s, 7, size["query_repeat"], name="activity"),
        ),
        ("export", workloads.export),
    ]
    if only:
        wanted = [label for label, _ in steps if only in label]
        if any(label.startswith("query") for label in wanted):
            wanted.insert(0, "load query data")
        steps = [step for step in steps if step[0] in wanted]
    return steps


def side_by_side(
    steps: list[tuple[str, Callable[[Server], dict[str, Any]]]],
    servers: list[Server],
    results: dict[str, Any],
) -> None:
    """Start ``servers`` (official, ours), run the steps on both, stop them."""
    ours = servers[1]
    try:
        for server in servers:
            server.start()
        results["startup"] = {s.name: s.startup_seconds for s in servers}
        for index, (label, work) in enumerate(steps):
            if label == KEYED:
                run_ours(label, ours, work, results)
            else:
                run_both(label, servers, index, work, results)
        results["memory"] = {s.name: s.memory_mib() for s in servers}
    finally:
        for server in servers:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument(
        "--only",
        metavar="TEXT",
        help="run only the workloads whose name contains TEXT (e.g. 'query', 'heartbeats', "
        "'with a key', 'WakaTime')",
    )
    args = parser.parse_args()
    size = SIZES["quick" if args.quick else "full"]
    official, ours = official_server(), our_server()
    results: dict[str, Any] = {
        "when": workloads.now(),
        "sizes": size,
        "machine": {
            "python": platform.python_version(),
            "cpus": __import__("os").cpu_count(),
            "platform": platform.platform(),
        },
    }
    steps = pair_steps(size, args.only)
    if steps:  # "--only WakaTime" needs neither server of the pair
        side_by_side(steps, [official, ours], results)
    # measured once the pair is stopped, so it takes no CPU from them
    wakatime_workloads.run(args.quick, args.only, results)
    table = render(results, official.name, ours.name)
    if KEYED in results:  # measured once the servers are stopped, so they take no CPU from it
        print("  auth gate, in-process ...", end="", flush=True, file=sys.stderr)
        gate = auth_gate.measure(args.quick)
        print(" done", file=sys.stderr)
        results["auth gate"] = gate.to_json_dict()
        table += "\n\n" + auth_gate.describe(gate, GATE_TARGET_US)
    print(table)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    suffix = ("-quick" if args.quick else "") + ("-only" if args.only else "")
    name = f"{results['when'].replace(':', '-')}{suffix}.json"
    (out_dir / name).write_text(json.dumps({**results, "table": table}, indent=1))
    print(f"\nresults: bench/results/{name}", file=sys.stderr)


if __name__ == "__main__":
    main()
