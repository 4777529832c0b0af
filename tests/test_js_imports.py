"""The dashboard's JavaScript modules import each other one way (app.js -> pages ->
ui/util/api): a cycle makes module evaluation order depend on which file loads first."""

from __future__ import annotations

import re
from pathlib import Path

from aw_server.static_files import BUILTIN_STATIC

JS_ROOT = BUILTIN_STATIC / "js"
# Static `import ... from "x"`, bare `import "x"`, `export ... from "x"` and dynamic `import("x")`.
IMPORT = re.compile(
    r"""(?:^|[;\s])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?["']([^"']+)["']"""
    r"""|\bimport\s*\(\s*["']([^"']+)["']\s*\)""",
    re.MULTILINE,
)


def imports_of(path: Path) -> set[Path]:
    """The local modules that ``path`` imports, as resolved file paths."""
    found = set()
    for match in IMPORT.finditer(path.read_text(encoding="utf-8")):
        spec = match.group(1) or match.group(2)
        if spec.startswith("."):
            found.add((path.parent / spec).resolve())
    return found


def import_graph(root: Path) -> dict[Path, set[Path]]:
    return {path.resolve(): imports_of(path) for path in sorted(root.rglob("*.js"))}


def find_cycle(graph: dict[Path, set[Path]]) -> list[Path] | None:
    """One import cycle as the list of modules along it, or None (depth-first search)."""
    done: set[Path] = set()

    def visit(node: Path, trail: list[Path]) -> list[Path] | None:
        if node in trail:
            return [*trail[trail.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, set())):
            cycle = visit(target, [*trail, node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def test_the_parser_sees_every_import_form(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text(
        'import { x } from "./b.js";\nimport * as c from \'./c.js\';\nimport "./d.js";\n'
        'export { y } from "./e.js";\nconst f = await import("./f.js");\n'
        'import {\n  g,\n  h,\n} from "./g.js";\nimport def, { i } from "./h.js";\n'
        'const s = "import nothing from here";\n'
    )
    assert {p.name for p in imports_of(tmp_path / "a.js")} == {f"{n}.js" for n in "bcdefgh"}


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.js").write_text('import * as page from "./pages/page.js";\n')
    (tmp_path / "pages" / "page.js").write_text('import { navigate } from "../app.js";\n')
    (tmp_path / "util.js").write_text("export const one = 1;\n")
    cycle = find_cycle(import_graph(tmp_path))
    assert cycle is not None and [p.name for p in cycle] in (
        ["app.js", "page.js", "app.js"],
        ["page.js", "app.js", "page.js"],
    )


def test_every_import_resolves_to_a_module() -> None:
    graph = import_graph(JS_ROOT)
    missing = {
        f"{source.relative_to(JS_ROOT)} -> {target}"
        for source, targets in graph.items()
        for target in targets
        if target not in graph
    }
    assert not missing


def test_dashboard_modules_have_no_import_cycle() -> None:
    graph = import_graph(JS_ROOT)
    assert len(graph) > 5 and sum(map(len, graph.values())) > 10  # the parser found the imports
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(str(p.relative_to(JS_ROOT)) for p in cycle or [])
