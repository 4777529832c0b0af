"""``aw-client``: the server from the command line, readable by people and by scripts.

Errors are one line on stderr; the exit code says which kind (EXIT_CODES, shown in --help).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from aw_client.cli_common import (
    API_KEY_ENV,
    GLOBAL_DEFAULTS,
    UsageError,
    add_command,
    add_global_options,
    duration_text,
    emit_json,
    plural,
    table,
)
from aw_client.cli_timers import add_projects_parser, add_timer_parser, cmd_projects, cmd_timer
from aw_client.client import ActivityWatchClient
from aw_client.config import APP_NAME
from aw_client.errors import (
    ClientError,
    Forbidden,
    NotActivityWatch,
    NotFound,
    NoTimerRunning,
    RateLimited,
    ServerError,
    ServerUnreachable,
    Unauthorized,
)
from aw_client.queries import DesktopQueryParams, classes_to_rules, full_desktop_query
from aw_core.categories import default_classes
from aw_core.config import ConfigError, config_file_path
from aw_core.log import setup_logging
from aw_core.models import Event
from aw_core.timeutil import parse_datetime

EXIT_OK, EXIT_SERVER, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_NOT_FOUND = 0, 1, 2, 3, 4
EXIT_NOT_ACTIVITYWATCH, EXIT_API_KEY, EXIT_RATE_LIMITED = 5, 6, 7
EXIT_CODES = (
    "Exit codes: 0 ok, 1 the server refused the request (`timer stop`: no timer is running), "
    "2 bad usage, input or config file, 3 server unreachable, 4 bucket, event, project or time "
    "entry not found, 5 something other than an "
    "ActivityWatch server answered, 6 an API key is needed, was refused or may not do this, "
    "7 rate limited (try again later)."
)

CLIENT_NAME = "aw-client-cli"
# Buckets the CLI creates hold whatever JSON the user sends, so their type names no watcher.
DEFAULT_BUCKET_TYPE = "general"
BROWSER_TYPE = "web.tab.current"


# -- formatting ---------------------------------------------------------------------------------


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


def parse_data(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"DATA_JSON is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError("DATA_JSON must be a JSON object")
    return data


def missing_bucket(exc: NotFound, bucket_id: str) -> NotFound:
    """The 404 of a write to a missing bucket, with the two ways to create it."""
    hint = f"add --create, or run `aw-client create-bucket {bucket_id}` first"
    return NotFound(exc.status, f"{exc.message}; {hint}", exc.method, exc.url)


def cmd_heartbeat(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    data = parse_data(args.data)
    if args.create:
        client.create_bucket(args.bucket, DEFAULT_BUCKET_TYPE)
    try:
        event = client.heartbeat(args.bucket, Event(data=data), pulsetime=args.pulsetime)
    except NotFound as exc:
        raise missing_bucket(exc, args.bucket) from None
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


def cmd_create_bucket(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    created = client.create_bucket(
        args.bucket, args.type, client=args.client, hostname=args.hostname
    )
    if args.json:
        emit_json({"id": args.bucket, "created": bool(created)}, out)
    elif created:
        out.write(f"Created bucket {args.bucket}\n")
    else:
        out.write(f"Bucket {args.bucket} already exists (left unchanged)\n")


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

    # By type, as the web UI does: browser buckets are named in many ways, and the extension
    # often does not know the hostname and sends "unknown".
    browsers = [
        str(b)
        for b, meta in buckets.items()
        if meta.get("type") == BROWSER_TYPE and meta.get("hostname") in (hostname, "unknown")
    ]
    return DesktopQueryParams(
        bid_window=host_bucket("aw-watcher-window"),
        bid_afk=host_bucket("aw-watcher-afk"),
        bid_browsers=browsers,
    )


def stored_classes(client: ActivityWatchClient) -> list[dict[str, Any]]:
    """The category rules the web UI stores in the ``classes`` setting, else the defaults (as
    the web UI does: a stored list, even an empty one, is the user's choice)."""
    classes = client.get_setting("classes")  # null when never stored
    return classes if isinstance(classes, list) else default_classes()


def cmd_report(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    params = find_host_buckets(client.get_buckets(), args.hostname)
    params.classes = classes_to_rules(stored_classes(client))
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
    chunks = client.export_chunks(args.bucket)  # raises before the output file is created
    progress = Progress("Exporting", None)
    try:
        target: IO[bytes] = open(args.output, "wb") if args.output else sys.stdout.buffer  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    try:
        for chunk in chunks:
            target.write(chunk)
            progress.advance(len(chunk))
    except BaseException:
        if args.output:  # a cut-off export is not valid JSON: leave no file that looks like one
            target.close()
            Path(args.output).unlink(missing_ok=True)
        raise
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
    try:
        with handle:
            summary = client.import_file(ProgressReader(handle, size, progress))
    finally:
        progress.finish()
    if args.json:
        emit_json(summary, out)
        return
    buckets = summary.get("buckets", {}) if isinstance(summary, dict) else {}
    for bucket_id, counts in buckets.items():
        out.write(f"{bucket_id}: {import_line(counts)}\n")


def import_line(counts: dict[str, Any]) -> str:
    """``3 events imported, 1 already there (created)`` for one bucket of an import."""
    state = "created" if counts.get("created") else "merged into existing bucket"
    inserted, skipped = int(counts.get("inserted", 0)), int(counts.get("skipped", 0))
    return f"{plural(inserted, 'event')} imported, {skipped} already there ({state})"


def cmd_delete_bucket(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    try:
        client.delete_bucket(args.bucket, force=args.force)
    except ServerError as exc:
        # the server's message names its query parameter (?force=1); name our flag instead
        if exc.status == 401 and not isinstance(exc, Unauthorized) and not args.force:
            message = "deleting a bucket needs --force unless the server runs in testing mode"
            raise ServerError(exc.status, message, exc.method, exc.url) from None
        raise
    if not args.json:
        out.write(f"Deleted bucket {args.bucket}\n")


COMMANDS: dict[str, Callable[[ActivityWatchClient, argparse.Namespace, IO[str]], None]] = {
    "buckets": cmd_buckets,
    "events": cmd_events,
    "heartbeat": cmd_heartbeat,
    "create-bucket": cmd_create_bucket,
    "query": cmd_query,
    "report": cmd_report,
    "export": cmd_export,
    "import": cmd_import,
    "delete-bucket": cmd_delete_bucket,
    "timer": cmd_timer,
    "projects": cmd_projects,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aw-client",
        description="Talk to an ActivityWatch-compatible server.",
        epilog=EXIT_CODES,
    )
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return add_command(sub, name, help)

    command("buckets", "list buckets")
    events = command("events", "list a bucket's events, newest first")
    events.add_argument("bucket")
    events.add_argument("--limit", type=int, default=20, help="how many (default 20, -1 for all)")
    events.add_argument("--start")
    events.add_argument("--end")
    heartbeat = command("heartbeat", "send a heartbeat timestamped now")
    heartbeat.add_argument("bucket")
    heartbeat.add_argument("data", metavar="DATA_JSON")
    heartbeat.add_argument(
        "--pulsetime",
        type=float,
        default=60.0,
        help="merge into the last event if it has the same data and ended at most this many "
        "seconds ago (default 60)",
    )
    heartbeat.add_argument(
        "--create",
        action="store_true",
        help=f"create the bucket if it does not exist (type {DEFAULT_BUCKET_TYPE!r}, client "
        f"{CLIENT_NAME!r}, this machine's hostname); use create-bucket to choose them",
    )
    create = command("create-bucket", "create a bucket (nothing happens if it exists)")
    create.add_argument("bucket")
    create.add_argument(
        "--type",
        default=DEFAULT_BUCKET_TYPE,
        help=f"event type, e.g. currentwindow, afkstatus, web.tab.current (default {DEFAULT_BUCKET_TYPE})",
    )
    create.add_argument(
        "--client", default=CLIENT_NAME, help=f"the client it belongs to (default {CLIENT_NAME})"
    )
    create.add_argument(
        "--hostname",
        default=socket.gethostname(),
        help="the host it records (default: this machine's hostname; '!local' means the server's)",
    )
    query = command("query", "run a query2 program from a file (or - for stdin)")
    query.add_argument("file", metavar="FILE")
    query.add_argument("--start", help="default: today 00:00 local time")
    query.add_argument("--end", help="default: now")
    query.add_argument("--name")
    report = command("report", "active time, top apps, titles, categories and browser domains")
    report.add_argument(
        "hostname", nargs="?", default=socket.gethostname(), help="default: this machine"
    )
    report.add_argument("--start", help="default: today 00:00 local time")
    report.add_argument("--end", help="default: now")
    report.add_argument("--limit", type=int, default=10)
    export = command("export", "export all buckets, or one")
    export.add_argument("bucket", nargs="?")
    export.add_argument("-o", "--output", help="file to write (default: stdout)")
    imp = command("import", "import an export file")
    imp.add_argument("file", metavar="FILE")
    delete = command("delete-bucket", "delete a bucket and its events")
    delete.add_argument("bucket")
    delete.add_argument(
        "--force", action="store_true", help="required unless the server runs in testing mode"
    )
    add_timer_parser(sub, EXIT_CODES)
    add_projects_parser(sub, EXIT_CODES)
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    for name, default in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    return args


# -- API keys -----------------------------------------------------------------------------------

REFUSAL_REASONS = {
    "unauthorized": "it is not a valid key",
    "key_revoked": "it has been revoked",
    "key_expired": "it has expired",
}


def key_from_arguments(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The API key from --api-key, else from $AW_API_KEY, and where it came from; (None, None)
    leaves it to the config file. An empty value counts as not given."""
    if args.api_key:
        return args.api_key, "--api-key"
    from_env = os.environ.get(API_KEY_ENV, "")
    if from_env:
        return from_env, API_KEY_ENV
    return None, None


def config_key_source(testing: bool) -> str:
    section = "server-testing" if testing else "server"
    return f"api_key in [{section}] of {config_file_path(APP_NAME)}"


def refused_key_message(exc: Unauthorized, source: str | None) -> str:
    """What a 401 means for the user: no key was sent, or which key was refused and why.

    The server's own message is used only for codes it does not explain: it may hold part
    of the key (its prefix)."""
    if source is None:
        return (
            f"the server needs an API key: give one with --api-key KEY or ${API_KEY_ENV}, "
            "or set api_key in aw-client.toml"
        )
    reason = REFUSAL_REASONS.get(exc.code or "", exc.message)
    return f"the server refused the API key from {source}: {reason}"


def rate_limited_message(exc: RateLimited) -> str:
    if exc.retry_after is None:
        return "too many requests: the server is rate limiting this client; try again later"
    return f"too many requests: try again in {max(1, round(exc.retry_after))} s"


def main(argv: list[str] | None = None, out: IO[str] | None = None) -> int:
    args = parse_args(argv)
    out = out or sys.stdout
    setup_logging("aw-client", verbose=args.verbose, log_stderr=args.verbose)
    api_key, key_source = key_from_arguments(args)
    try:
        client = ActivityWatchClient(
            CLIENT_NAME, testing=args.testing, host=args.host, port=args.port, api_key=api_key
        )
        if key_source is None and client.sends_api_key:
            key_source = config_key_source(args.testing)
        COMMANDS[args.command](client, args, out)
    except (UsageError, ConfigError) as exc:
        return fail(str(exc), EXIT_USAGE)
    except ServerUnreachable as exc:
        return fail(f"{exc}. Is the server running?", EXIT_UNREACHABLE)
    except NotActivityWatch as exc:
        return fail(f"{exc.message}; check --host and --port", EXIT_NOT_ACTIVITYWATCH)
    except NotFound as exc:
        return fail(f"not found: {exc.message}", EXIT_NOT_FOUND)
    except NoTimerRunning:
        return fail("no timer is running", EXIT_SERVER)
    except Unauthorized as exc:
        return fail(refused_key_message(exc, key_source), EXIT_API_KEY)
    except Forbidden as exc:
        what = f"the API key from {key_source}" if key_source else "this client"
        return fail(f"{what} may not do this: {exc.message}", EXIT_API_KEY)
    except RateLimited as exc:
        return fail(rate_limited_message(exc), EXIT_RATE_LIMITED)
    except ServerError as exc:
        return fail(f"the server answered {exc.status}: {exc.message}", EXIT_SERVER)
    except ClientError as exc:
        return fail(str(exc), EXIT_SERVER)
    except BrokenPipeError:
        return EXIT_OK
    return EXIT_OK


def fail(message: str, code: int) -> int:
    """Report an error as one line on stderr and return its exit code."""
    print(f"aw-client: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
