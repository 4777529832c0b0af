"""``aw-client timer ...`` and ``aw-client projects ...``: the server's timers API from the
command line (aw-server-py's time entries, timer, projects and tasks).

``--project`` and ``--task`` take an id or a name: a name is looked up among the projects (and
that project's tasks), ignoring ASCII case as the server does; anything else goes to the server
as an id, which refuses ids it does not know.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import IO, TypeAlias

from aw_client.cli_common import UsageError, add_command, duration_text, emit_json, table
from aw_client.client import ActivityWatchClient
from aw_client.errors import NotFound
from aw_client.timers import MAX_PER_PAGE, Page, Project, TimeEntry

Command = Callable[[ActivityWatchClient, argparse.Namespace, IO[str]], None]
STOP_NOTE = "`timer stop` with no timer running says so and exits 1."


# -- names ---------------------------------------------------------------------------------------


def folded(name: str) -> str:
    """ASCII-only lower case: the server compares project and task names so."""
    return "".join(c.lower() if c.isascii() else c for c in name)


def find_id(value: str, items: Iterable[tuple[str, str]]) -> str:
    """The id of the (id, name) pair whose id, else whose name, is ``value``; else ``value``."""
    pairs = list(items)
    if any(item_id == value for item_id, _ in pairs):
        return value
    wanted = folded(value)
    return next((item_id for item_id, name in pairs if folded(name) == wanted), value)


def project_id_of(client: ActivityWatchClient, value: str) -> str:
    return find_id(value, ((p.id, p.name) for p in client.projects.list()))


def optional_project_id(client: ActivityWatchClient, value: str | None) -> str | None:
    """``--project``: an id or a name, or None when not given."""
    return None if value is None else project_id_of(client, value)


def task_id_of(
    client: ActivityWatchClient, value: str | None, project_id: str | None
) -> str | None:
    """A task's id; a name only within the given project (task names are per project)."""
    if value is None or project_id is None:
        return value
    try:
        tasks = client.projects.tasks(project_id)
    except NotFound:
        return value  # an unknown project: the server names it when the timer is started
    return find_id(value, ((t.id, t.name) for t in tasks))


@dataclass
class Names:
    """Project and task names for showing entries, read once per command."""

    projects: dict[str, str]
    tasks: dict[str, str]

    @classmethod
    def of(cls, client: ActivityWatchClient, shown: Iterable[TimeEntry]) -> Names:
        entries = list(shown)
        projects: dict[str, str] = {}
        tasks: dict[str, str] = {}
        if any(e.project_id for e in entries):
            projects = {p.id: p.name for p in client.projects.list()}
        for project_id in {e.project_id for e in entries if e.task_id and e.project_id}:
            tasks.update((t.id, t.name) for t in client.projects.tasks(project_id))
        return cls(projects, tasks)

    def project(self, entry: TimeEntry) -> str:
        """``Website`` or ``Website / Design`` (ids where a name is unknown), or empty."""
        if entry.project_id is None:
            return ""
        name = self.projects.get(entry.project_id, entry.project_id)
        if entry.task_id is None:
            return name
        return f"{name} / {self.tasks.get(entry.task_id, entry.task_id)}"


# -- formatting ----------------------------------------------------------------------------------


def clock(when: datetime) -> str:
    """Local ``14:03``, with the date when it is not today."""
    local = when.astimezone()
    return f"{local:%H:%M}" if local.date() == today() else f"{local:%Y-%m-%d %H:%M}"


def today() -> date:
    return datetime.now().astimezone().date()


def one_line(text: str, limit: int = 80) -> str:
    """A description on one short line: a table row or a message stays one line."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def what(entry: TimeEntry, names: Names) -> str:
    """``"Fixing the header" (Website)``: the description and the project."""
    label = f'"{one_line(entry.description)}"' if entry.description else "(no description)"
    project = names.project(entry)
    return f"{label} ({project})" if project else label


def elapsed(entry: TimeEntry) -> str:
    return duration_text(entry.duration.total_seconds())


def span(entry: TimeEntry) -> str:
    """``14:03-15:08``, or ``since 14:03`` while it runs."""
    if entry.end is None:
        return f"since {clock(entry.start)}"
    return f"{clock(entry.start)}-{clock(entry.end)}"


def stopped_line(entry: TimeEntry, names: Names) -> str:
    return f"Stopped {what(entry, names)} after {elapsed(entry)} ({span(entry)})\n"


def entries_table(page: Page[TimeEntry], names: Names) -> str:
    rows = [
        [
            str(e.id),
            f"{e.start.astimezone():%Y-%m-%d %H:%M}",  # always the date: a column reads evenly
            elapsed(e) + (" (running)" if e.running else ""),
            names.project(e),
            one_line(e.description or "", 60),
        ]
        for e in page
    ]
    return table(rows, ["id", "start (local)", "duration", "project", "description"])


def page_line(page: Page[TimeEntry]) -> str:
    entries = "1 entry" if page.total == 1 else f"{page.total} entries"
    line = f"Page {page.page} of {max(page.total_pages, 1)} ({entries})"
    return line + (f"; --page {page.page + 1} for more" if page.has_next else "")


# -- timer ---------------------------------------------------------------------------------------


def timer_start(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    project_id = optional_project_id(client, args.project)
    task_id = task_id_of(client, args.task, project_id)
    description = " ".join(args.description) or None
    # read first, to say what the start stops (the server stops it in the same step)
    previous = None if args.json else client.time_entries.current()
    entry = client.time_entries.start(project_id, task_id, description)
    if args.json:
        emit_json(entry.to_json(), out)
        return
    names = Names.of(client, [entry] if previous is None else [previous, entry])
    if previous is not None:
        out.write(stopped_line(ended(previous, entry.start), names))
    out.write(f"Started {what(entry, names)} at {clock(entry.start)}\n")


def ended(entry: TimeEntry, end: datetime) -> TimeEntry:
    """A running entry as a start at ``end`` stops it: the server ends it where the new one
    starts."""
    return replace(entry, end=end, duration=max(end - entry.start, timedelta(0)), running=False)


def timer_stop(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    entry = client.time_entries.stop()  # NoTimerRunning: one line and exit 1 (see main)
    if args.json:
        emit_json(entry.to_json(), out)
    else:
        out.write(stopped_line(entry, Names.of(client, [entry])))


def timer_status(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    entry = client.time_entries.current()
    if args.json:
        emit_json(None if entry is None else entry.to_json(), out)
    elif entry is None:
        out.write("No timer running.\n")
    else:
        names = Names.of(client, [entry])
        out.write(f"Running {what(entry, names)} {span(entry)}, {elapsed(entry)}\n")


def timer_list(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    first, last = day_argument(args.start, "--start"), day_argument(args.end, "--end")
    if first is not None and last is not None and first > last:
        raise UsageError("--start must not be after --end")
    page = client.time_entries.list(
        project_id=optional_project_id(client, args.project),
        start_date=first,
        end_date=last,
        page=args.page,
        per_page=args.per_page,
    )
    if args.json:
        emit_json({"data": [e.to_json() for e in page], "meta": page.meta()}, out)
    elif not page.items:
        out.write(
            "No time entries.\n"
            if page.total == 0
            else f"No time entries here. {page_line(page)}\n"
        )
    else:
        out.write(f"{entries_table(page, Names.of(client, page))}\n{page_line(page)}\n")


def day_argument(value: str | None, option: str) -> date | None:
    """A day: ``YYYY-MM-DD``, ``today`` or ``yesterday`` (this machine's days)."""
    if value is None:
        return None
    named = {"today": today(), "yesterday": today() - timedelta(days=1)}
    if value in named:
        return named[value]
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"invalid date {value!r} for {option}: use YYYY-MM-DD, 'today' or 'yesterday'"
        ) from None


TIMER_ACTIONS: dict[str, Command] = {
    "start": timer_start,
    "stop": timer_stop,
    "status": timer_status,
    "list": timer_list,
}


def cmd_timer(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    with timers_api():
        TIMER_ACTIONS[args.action](client, args, out)


# -- projects ------------------------------------------------------------------------------------


def projects_table(projects: list[Project]) -> str:
    rows = [[p.id, p.name, p.color or "", "archived" if p.archived else ""] for p in projects]
    return table(rows, ["id", "name", "color", ""])


def projects_list(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    projects = client.projects.list()
    if args.json:
        emit_json([p.to_json() for p in projects], out)
    elif not projects:
        out.write("No projects yet.\n")
    else:
        out.write(projects_table(projects) + "\n")


def projects_create(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    project = client.projects.create(args.name, color=args.color)
    if args.json:
        emit_json(project.to_json(), out)
    else:
        out.write(f"Created project {project.name} ({project.id}, {project.color})\n")


def projects_tasks(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    tasks = client.projects.tasks(project_id_of(client, args.project))
    if args.json:
        emit_json([t.to_json() for t in tasks], out)
    elif not tasks:
        out.write("No tasks yet.\n")
    else:
        out.write(table([[t.id, t.name] for t in tasks], ["id", "name"]) + "\n")


def projects_add_task(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    task = client.projects.create_task(project_id_of(client, args.project), args.name)
    if args.json:
        emit_json(task.to_json(), out)
    else:
        out.write(f"Added task {task.name} ({task.id})\n")


PROJECT_ACTIONS: dict[str, Command] = {
    "list": projects_list,
    "create": projects_create,
    "tasks": projects_tasks,
    "add-task": projects_add_task,
}


def cmd_projects(client: ActivityWatchClient, args: argparse.Namespace, out: IO[str]) -> None:
    with timers_api():
        PROJECT_ACTIONS[args.action or "list"](client, args, out)


@contextmanager
def timers_api() -> Iterator[None]:
    """Say so when a server without the timers API (an official one) answers 404: its answer
    has no ``code``, which aw-server-py's always has."""
    try:
        yield
    except NotFound as exc:
        if exc.code is not None:
            raise
        message = f"this server has no timers API (time entries, projects): {exc.message}"
        raise NotFound(exc.status, message, exc.method, exc.url) from None


# -- parsers -------------------------------------------------------------------------------------


def positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number from 1: {value!r}")
    return int(value)


def per_page(value: str) -> int:
    number = positive(value)
    if number > MAX_PER_PAGE:
        raise argparse.ArgumentTypeError(f"at most {MAX_PER_PAGE}: {value!r}")
    return number


# a string: argparse's class is not subscriptable at run time
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
PROJECT_HELP = "a project's id or name"


def add_timer_parser(sub: Subparsers, epilog: str) -> None:
    """``timer start|stop|status|list``; every one shows the exit codes (``epilog``)."""
    timer = add_command(
        sub, "timer", "start and stop the timer, see it, list time entries", epilog=epilog
    )
    actions = timer.add_subparsers(dest="action", required=True, metavar="ACTION")
    start = add_command(
        actions, "start", "start a timer (stopping the one running, if any)", epilog=epilog
    )
    start.add_argument("description", nargs="*", metavar="DESCRIPTION", help="what it is for")
    start.add_argument("--project", metavar="ID_OR_NAME", help=PROJECT_HELP)
    start.add_argument(
        "--task", metavar="ID_OR_NAME", help="a task's id (or its name, with --project)"
    )
    add_command(actions, "stop", f"stop the running timer. {STOP_NOTE}", epilog=epilog)
    add_command(
        actions, "status", "the running timer: what, since when, for how long", epilog=epilog
    )
    listing = add_command(
        actions, "list", "time entries, newest first, a page at a time", epilog=epilog
    )
    listing.add_argument("--project", metavar="ID_OR_NAME", help=PROJECT_HELP)
    listing.add_argument(
        "--start",
        metavar="DATE",
        help="first day: YYYY-MM-DD, today or yesterday (days of the server's time zone)",
    )
    listing.add_argument("--end", metavar="DATE", help="last day, included")
    listing.add_argument("--page", type=positive, default=1, help="default 1")
    listing.add_argument(
        "--per-page", type=per_page, default=50, help=f"default 50, at most {MAX_PER_PAGE}"
    )


def add_projects_parser(sub: Subparsers, epilog: str) -> None:
    """``projects [list]``, ``projects create|tasks|add-task``."""
    projects = add_command(
        sub, "projects", "list projects (the default), create them, their tasks", epilog=epilog
    )
    actions = projects.add_subparsers(dest="action", metavar="ACTION")
    add_command(actions, "list", "list projects by name", epilog=epilog)
    create = add_command(actions, "create", "create a project", epilog=epilog)
    create.add_argument("name", metavar="NAME")
    create.add_argument("--color", metavar="#RRGGBB", help="default: the next color of a palette")
    tasks = add_command(actions, "tasks", "list a project's tasks", epilog=epilog)
    tasks.add_argument("project", metavar="PROJECT", help=PROJECT_HELP)
    add_task = add_command(actions, "add-task", "add a task to a project", epilog=epilog)
    add_task.add_argument("project", metavar="PROJECT", help=PROJECT_HELP)
    add_task.add_argument("name", metavar="NAME")
