"""Projects and their tasks: created, changed and deleted in one transaction with what they
affect, noting ``project.created|updated|deleted`` for webhooks (tasks have no occurrences).

Deleting a project that entries name is a 409 unless forced; forced, the entries stay and lose
their project and task (each noted as ``time_entry.updated``), in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from aw_server.errors import Conflict, NotFound, Unprocessable
from aw_server.service import Service, Writes
from aw_server.timers.entries import TimeEntries
from aw_server.timers.model import Project, Task, new_id, now_us
from aw_server.timers.parsing import Paging
from aw_server.timers.store import ProjectStore

# colors given to new projects in turn, when none is asked for
PALETTE = ("#3b82f6", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6", "#f97316")


def _note(writes: Writes, kind: str, project: Project) -> None:
    writes.occurred(f"project.{kind}", project.to_json)


class Projects:
    def __init__(self, service: Service, store: ProjectStore, entries: TimeEntries) -> None:
        self.service = service
        self.store = store
        self.entries = entries

    def get(self, project_id: str) -> Project:
        project = self.store.get(project_id)
        if project is None:
            raise NotFound(f"there is no project {project_id!r}", details={"id": project_id})
        return project

    def page(self, archived: bool | None, paging: Paging) -> tuple[list[Project], int]:
        return self.store.search(archived=archived, limit=paging.per_page, offset=paging.offset)

    def _unique(self, name: str, project_id: str | None = None) -> None:
        other = self.store.by_name(name)
        if other is not None and other.id != project_id:
            raise Conflict(
                f"there is a project named {other.name!r} already",
                code="project_exists",
                details={"id": other.id},
            )

    def create(self, name: str, color: str | None, archived: bool) -> Project:
        def write(writes: Writes) -> Project:
            self._unique(name)
            total = self.store.search(archived=None, limit=0, offset=0)[1]
            project = Project(
                new_id("proj"), name, color or PALETTE[total % len(PALETTE)], archived, now_us()
            )
            self.store.add(project)
            _note(writes, "created", project)
            return project

        return self.service.transaction(write)

    def update(
        self, project_id: str, name: str | None, color: str | None, archived: bool | None
    ) -> Project:
        def write(writes: Writes) -> Project:
            project = self.get(project_id)
            if name is not None:
                self._unique(name, project_id)
            changed = replace(
                project,
                name=name if name is not None else project.name,
                color=color if color is not None else project.color,
                archived=archived if archived is not None else project.archived,
            )
            self.store.save(changed)
            _note(writes, "updated", changed)
            return changed

        return self.service.transaction(write)

    def delete(
        self, project_id: str, *, force: bool, check_bucket: Callable[[str], None]
    ) -> tuple[Project, int]:
        """Delete the project and its tasks; the project and how many entries lost it.
        ``check_bucket`` may refuse (by raising) a bucket whose entries would change."""

        def write(writes: Writes) -> tuple[Project, int]:
            project = self.get(project_id)
            found = self.entries.of_project(project_id)
            count = sum(len(events) for events in found.values())
            if count and not force:
                entries = "1 time entry names it" if count == 1 else f"{count} time entries name it"
                raise Conflict(
                    f"project {project_id!r} is in use: {entries} (force=1 deletes it and keeps"
                    " the entries, without a project)",
                    code="project_has_entries",
                    details={"id": project_id, "entries": count},
                )
            self.entries.clear_project(writes, found, check_bucket)
            self.store.delete(project_id)  # last: the memory store is not rolled back
            _note(writes, "deleted", project)
            return project, count

        return self.service.transaction(write)

    # -- tasks -----------------------------------------------------------------------------------

    def tasks(self, project_id: str, paging: Paging) -> tuple[list[Task], int]:
        self.get(project_id)
        return self.store.tasks(project_id, limit=paging.per_page, offset=paging.offset)

    def create_task(self, project_id: str, name: str) -> Task:
        def write(writes: Writes) -> Task:
            project = self.get(project_id)
            if project.archived:
                raise Unprocessable(
                    f"project {project_id!r} is archived",
                    code="project_archived",
                    details={"project_id": project_id},
                )
            other = self.store.task_by_name(project_id, name)
            if other is not None:
                raise Conflict(
                    f"project {project_id!r} has a task named {other.name!r} already",
                    code="task_exists",
                    details={"id": other.id},
                )
            task = Task(new_id("task"), project_id, name, now_us())
            self.store.add_task(task)
            return task

        return self.service.transaction(write)
