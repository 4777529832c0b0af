"""Benchmark this server against the official Python aw-server 0.12.0, side by side.

    python -m bench.run            # the full run (a few minutes)
    python -m bench.run --quick    # a small version (under a minute)

Both servers run at once on free loopback ports with fresh data dirs; every workload runs on
both (alternating which goes first) and must leave the same data on both. Figures: rates and
times measured by the client, CPU seconds per request and memory read from /proc.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Callable
from typing import Any

from bench import data, workloads
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


def render(results: dict[str, Any], official: str, ours: str) -> str:
    lines = [
        f"| workload | {official} | this server | ratio | CPU ms/req (official / ours) |",
        "|---|---|---|---|---|",
    ]
    for label, key, unit, higher in ROWS:
        if label not in results:
            continue
        figures = results[label]["figures"]
        a, b = figures[official][key], figures[ours][key]
        cpu = (
            f"{figures[official]['cpu_ms_per_req']:.2f} / {figures[ours]['cpu_ms_per_req']:.2f}"
            if key != "p99_ms"
            else ""
        )
        digits = 0 if a >= 100 else 2 if a < 10 else 1
        lines.append(
            f"| {label} ({unit}) | {a:.{digits}f} | {b:.{2 if b < 10 else 0}f} | {ratio(b, a, higher):.1f}x | {cpu} |"
        )
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument(
        "--only",
        metavar="TEXT",
        help="run only the workloads whose name contains TEXT (e.g. 'query', 'heartbeats')",
    )
    args = parser.parse_args()
    size = SIZES["quick" if args.quick else "full"]
    official, ours = official_server(), our_server()
    servers = [official, ours]
    results: dict[str, Any] = {
        "when": workloads.now(),
        "sizes": size,
        "machine": {
            "python": platform.python_version(),
            "cpus": __import__("os").cpu_count(),
            "platform": platform.platform(),
        },
    }
    try:
        for server in servers:
            server.start()
        results["startup"] = {s.name: s.startup_seconds for s in servers}
        bulk = data.bulk_events(size["bulk"])
        query_data = data.window_afk_web(size["window"])
        steps: list[tuple[str, Callable[[Server], dict[str, Any]]]] = [
            (
                "heartbeats, one connection",
                lambda s: workloads.heartbeats_single(s, size["hb_single"]),
            ),
            (
                "heartbeats, 8 threads",
                lambda s: workloads.heartbeats_threads(s, size["threads"], size["per_thread"]),
            ),
            ("bulk insert", lambda s: workloads.bulk_insert(s, bulk)),
            ("GET all events", workloads.get_all),
            (
                "load query data",
                lambda s: (workloads.load_query_data(s, query_data), {"check": {}})[1],
            ),
            ("query, 1 day", lambda s: workloads.query(s, 1, size["query_repeat"])),
            ("query, 7 days", lambda s: workloads.query(s, 7, size["query_repeat"])),
            (
                "query, 7 days, named, repeated",
                lambda s: workloads.query(s, 7, size["query_repeat"], name="activity"),
            ),
            ("export", workloads.export),
        ]
        if args.only:
            wanted = [label for label, _ in steps if args.only in label]
            if any(label.startswith("query") for label in wanted):
                wanted.insert(0, "load query data")
            steps = [step for step in steps if step[0] in wanted]
        for index, (label, work) in enumerate(steps):
            run_both(label, servers, index, work, results)
        results["memory"] = {s.name: s.memory_mib() for s in servers}
    finally:
        for server in servers:
            server.stop()
    table = render(results, official.name, ours.name)
    print(table)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    suffix = ("-quick" if args.quick else "") + ("-only" if args.only else "")
    name = f"{results['when'].replace(':', '-')}{suffix}.json"
    (out_dir / name).write_text(json.dumps({**results, "table": table}, indent=1))
    print(f"\nresults: bench/results/{name}", file=sys.stderr)


if __name__ == "__main__":
    main()
