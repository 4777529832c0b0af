"""``aw-client``: the server from the command line, readable by people and by scripts.

Exit codes: 0 ok, 1 the server refused (4xx/5xx), 2 bad usage or input, 3 server unreachable,
4 bucket or event not found.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson

from aw_client.client import ActivityWatchClient
from aw_client.errors import ClientError, NotFound, ServerError, ServerUnreachable
from aw_client.queries import DesktopQueryParams, classes_to_rules, full_desktop_query
from aw_core.log import setup_logging
from aw_core.models import Event
from aw_core.timeutil import parse_datetime

EXIT_OK, EXIT_SERVER, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_NOT_FOUND = 0, 1, 2, 3, 4


class UsageError(Exception):
    pass


# -- formatting ---------------------------------------------------------------------------------


def duration_text(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*headers).rstrip(), line.format(*("-" * w for w in widths)).rstrip()]
    out += [line.format(*(str(c) for c in row)).rstrip() for row in rows]
    return "\n".join(out)


def emit_json(value: Any, out: IO[str]) -> None:
    out.write(
        orjson.dumps(value, option=orjson.OPT_INDENT_2, default=lambda e: e.to_json_dict()).decode()
        + "\n"
    )


class Progress:
    """A one-line progress indicator on stderr, shown only on a terminal."""

    def __init__(self, label: str, total: int | None) -> None:
        self.label, self.total, self.done = label, total, 0
        self.enabled = sys.stderr.isatty()

    def advance(self, amount: int) -> None:
        self.done += amount
        if not self.enabled:
            return
        mib = self.done / 1048576
        if self.total:
            share = self.done / self.total
            bar = "#" * int(share * 30)
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {share:4.0%} {mib:.1f} MiB")
        else:
            sys.stderr.write(f"\r{self.label} {mib:.1f} MiB")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


class ProgressReader:
    """A file wrapper that reports how much of it has been read (for uploads)."""

    def __init__(self, handle: IO[bytes], size: int, progress: Progress) -> None:
        self.handle, self.size, self.progress = handle, size, progress

    def __len__(self) -> int:
        return self.size

    def read(self, amount: int = -1) -> bytes:
        chunk = self.handle.read(amount)
        self.progress.advance(len(chunk))
        return chunk


# -- time arguments -----------------------------------------------------------------------------


def local_midnight(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def parse_time(value: str | None, default: datetime) -> datetime:
    """ISO 8601 (a naive time is local time), ``now``, ``today`` or ``yesterday``."""
    return default if value is None else _parse_time(value)


def _parse_time(value: str) -> datetime:
    now = datetime.now().astimezone()
    named = {
        "now": now,
        "today": local_midnight(now),
        "yesterday": local_midnight(now) - timedelta(days=1),
    }
    if value in named:
        return named[value]
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            return parse_datetime(value)
        except ValueError:
            raise UsageError(
                f"invalid time {value!r}: use ISO 8601, 'now', 'today' or 'yesterday'"
            ) from None
    return parsed if parsed.tzinfo else parsed.astimezone()


def time_range(args: argparse.Namespace) -> tuple[datetime, datetime]:
    now = datetime.now().astimezone()
    start = parse_time(args.start, local_midnight(now))
    end = parse_time(args.end, now)
    if start >= end:
        raise UsageError("--start must be before --end")
    return start, end


# -- commands -----------------------------------------------------------------------------------


def cmd_buckets(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    buckets = client.get_buckets()
    if args.json:
        emit_json(buckets, out)
        return
    if not buckets:
        out.write("No buckets yet.\n")
        return
    rows = [
        [
            b["id"],
            b.get("type", ""),
            b.get("client", ""),
            b.get("hostname", ""),
            (b.get("last_updated") or "-")[:19],
        ]
        for b in buckets.values()
    ]
    out.write(table(rows, ["id", "type", "client", "hostname", "last updated (UTC)"]) + "\n")


def cmd_events(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    start = _parse_time(args.start) if args.start else None
    end = _parse_time(args.end) if args.end else None
    events = client.get_events(args.bucket, limit=args.limit, start=start, end=end)
    if args.json:
        emit_json(events, out)
        return
    rows = [
        [
            e.timestamp.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            duration_text(e.duration.total_seconds()),
            json.dumps(e.data, ensure_ascii=False)[:100],
        ]
        for e in events
    ]
    out.write(table(rows, ["start (local)", "duration", "data"]) + "\n" if rows else "No events.\n")


def cmd_heartbeat(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    try:
        data = json.loads(args.data)
    except json.JSONDecodeError as exc:
        raise UsageError(f"DATA_JSON is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError("DATA_JSON must be a JSON object")
    event = client.heartbeat(args.bucket, Event(data=data), pulsetime=args.pulsetime)
    if args.json:
        emit_json(event, out)
    elif event is not None:
        out.write(
            f"event {event.id}: {duration_text(event.duration.total_seconds())} since {event.timestamp.astimezone():%H:%M:%S}\n"
        )


def cmd_query(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    try:
        program = (
            sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        )
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    start, end = time_range(args)
    result = client.query(program, [(start, end)], name=args.name)[0]
    if args.json or not isinstance(result, list):
        emit_json(result, out)
        return
    rows = []
    for item in result:
        if isinstance(item, dict) and {"timestamp", "duration", "data"} <= set(item):
            rows.append(
                [
                    duration_text(item["duration"]),
                    json.dumps(item["data"], ensure_ascii=False)[:100],
                ]
            )
        else:
            rows.append(["", json.dumps(item, ensure_ascii=False)[:100]])
    out.write(table(rows, ["duration", "data"]) + "\n" if rows else "No results.\n")


def find_host_buckets(buckets: dict[str, Any], hostname: str) -> DesktopQueryParams:
    def host_bucket(prefix: str) -> str:
        exact = f"{prefix}_{hostname}"
        if exact in buckets:
            return exact
        for bucket_id, bucket in buckets.items():
            if bucket_id.startswith(prefix) and bucket.get("hostname") == hostname:
                return str(bucket_id)
        raise UsageError(
            f"no {prefix} bucket for host {hostname!r}; run `aw-client buckets` to see the hosts"
        )

    browsers = [
        b
        for b, meta in buckets.items()
        if b.startswith("aw-watcher-web") and meta.get("hostname") in (hostname, "unknown")
    ]
    return DesktopQueryParams(
        bid_window=host_bucket("aw-watcher-window"),
        bid_afk=host_bucket("aw-watcher-afk"),
        bid_browsers=browsers,
    )


def cmd_report(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    params = find_host_buckets(client.get_buckets(), args.hostname)
    params.classes = classes_to_rules(client.get_setting("classes"))
    start, end = time_range(args)
    summary = client.query(full_desktop_query(params, args.limit), [(start, end)])[0]
    if args.json:
        emit_json(summary, out)
        return
    window = summary["window"]
    out.write(f"Activity on {args.hostname} from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}\n")
    out.write(f"Active time: {duration_text(window['duration'])}\n\n")
    sections: list[tuple[str, list[dict[str, Any]], Callable[[dict[str, Any]], str]]] = [
        ("Top applications", window["app_events"], lambda e: e["data"].get("app", "?")),
        (
            "Top window titles",
            window["title_events"],
            lambda e: f"{e['data'].get('title', '?')}  ({e['data'].get('app', '?')})",
        ),
        (
            "Top categories",
            window["cat_events"],
            lambda e: " > ".join(e["data"].get("$category", ["?"])),
        ),
        (
            "Top browser domains",
            summary["browser"]["domains"],
            lambda e: e["data"].get("$domain", "?"),
        ),
    ]
    for title, events, label in sections:
        rows = [[duration_text(e["duration"]), label(e)[:90]] for e in events[: args.limit]]
        if rows:
            out.write(f"{title}\n{table(rows, ['time', 'name'])}\n\n")


def cmd_export(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    path = f"buckets/{args.bucket}/export" if args.bucket else "export"
    response = client.session.get(client._url(path), stream=True, timeout=client.timeout)
    if response.status_code >= 400:
        error = NotFound if response.status_code == 404 else ServerError
        raise error(response.status_code, response.json().get("message", ""), "GET", response.url)
    progress = Progress("Exporting", None)
    target: IO[bytes] = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115
    try:
        for chunk in response.iter_content(chunk_size=1 << 16):
            target.write(chunk)
            progress.advance(len(chunk))
    finally:
        if args.output:
            target.close()
        progress.finish()
    if args.output:
        sys.stderr.write(f"Exported {progress.done / 1048576:.1f} MiB to {args.output}\n")


def cmd_import(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    path = Path(args.file)
    try:
        size = path.stat().st_size
        handle = path.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    progress = Progress("Importing", size)
    with handle:
        response = client.session.post(
            client._url("import"),
            data=ProgressReader(handle, size, progress),
            headers={"Content-Type": "application/json"},
            timeout=max(client.timeout, 600),
        )
    progress.finish()
    if response.status_code >= 400:
        raise ServerError(
            response.status_code,
            response.json().get("message", response.text),
            "POST",
            response.url,
        )
    summary = response.json()
    if args.json:
        emit_json(summary, out)
        return
    for bucket_id, counts in summary.get("buckets", {}).items():
        state = "created" if counts["created"] else "merged into existing bucket"
        out.write(
            f"{bucket_id}: {counts['inserted']} events imported, {counts['skipped']} already there ({state})\n"
        )


def cmd_delete_bucket(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    client.delete_bucket(args.bucket, force=args.force)
    if not args.json:
        out.write(f"Deleted bucket {args.bucket}\n")


COMMANDS: dict[str, Callable[[ActivityWatchClient, argparse.Namespace, IO[str]], None]] = {
    "buckets": cmd_buckets,
    "events": cmd_events,
    "heartbeat": cmd_heartbeat,
    "query": cmd_query,
    "report": cmd_report,
    "export": cmd_export,
    "import": cmd_import,
    "delete-bucket": cmd_delete_bucket,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aw-client", description="Talk to an ActivityWatch-compatible server."
    )
    parser.add_argument("--host", help="server host (default from aw-client.toml, else 127.0.0.1)")
    parser.add_argument("--port", type=int, help="server port (default 5600, 5666 with --testing)")
    parser.add_argument("--testing", action="store_true", help="use the testing server")
    parser.add_argument("--json", action="store_true", help="machine-readable JSON output")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("buckets", help="list buckets")
    events = sub.add_parser("events", help="list a bucket's events, newest first")
    events.add_argument("bucket")
    events.add_argument("--limit", type=int, default=20, help="how many (default 20, -1 for all)")
    events.add_argument("--start")
    events.add_argument("--end")
    heartbeat = sub.add_parser("heartbeat", help="send a heartbeat timestamped now")
    heartbeat.add_argument("bucket")
    heartbeat.add_argument("data", metavar="DATA_JSON")
    heartbeat.add_argument("--pulsetime", type=float, default=60.0)
    query = sub.add_parser("query", help="run a query2 program from a file (or - for stdin)")
    query.add_argument("file", metavar="FILE")
    query.add_argument("--start", help="default: today 00:00 local time")
    query.add_argument("--end", help="default: now")
    query.add_argument("--name")
    report = sub.add_parser("report", help="active time, top apps, titles and categories")
    report.add_argument("hostname")
    report.add_argument("--start", help="default: today 00:00 local time")
    report.add_argument("--end", help="default: now")
    report.add_argument("--limit", type=int, default=10)
    export = sub.add_parser("export", help="export all buckets, or one")
    export.add_argument("bucket", nargs="?")
    export.add_argument("-o", "--output", help="file to write (default: stdout)")
    imp = sub.add_parser("import", help="import an export file")
    imp.add_argument("file", metavar="FILE")
    delete = sub.add_parser("delete-bucket", help="delete a bucket and its events")
    delete.add_argument("bucket")
    delete.add_argument(
        "--force", action="store_true", help="required unless the server runs in testing mode"
    )
    return parser


def main(argv: list[str] | None = None, out: IO[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = out or sys.stdout
    setup_logging("aw-client", verbose=args.verbose, log_stderr=args.verbose)
    client = ActivityWatchClient(
        "aw-client-cli", testing=args.testing, host=args.host, port=args.port
    )
    try:
        COMMANDS[args.command](client, args, out)
    except UsageError as exc:
        print(f"aw-client: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ServerUnreachable as exc:
        print(f"aw-client: {exc}. Is the server running?", file=sys.stderr)
        return EXIT_UNREACHABLE
    except NotFound as exc:
        print(f"aw-client: not found: {exc.message}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except ServerError as exc:
        print(f"aw-client: the server answered {exc.status}: {exc.message}", file=sys.stderr)
        return EXIT_SERVER
    except ClientError as exc:
        print(f"aw-client: {exc}", file=sys.stderr)
        return EXIT_SERVER
    except BrokenPipeError:
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
