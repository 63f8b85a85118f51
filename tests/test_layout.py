"""The layout of `pipelines`: one package per stage in flow order, imports running down the flow.

The import graph is read from the source with `ast` (nothing is imported), every import of a
module of `pipelines` at module level, inside a function or under `if TYPE_CHECKING:`, a name a
package re-exports being followed to the module that defines it. Checked:
- no circle among the imports run when a module loads (module level; an import inside a function
  runs later and cannot make an import circle, so it is left out of this check only);
- no module imports another module's `_underscore` name, reads one through a module it imported,
  or imports a private module from outside the package that holds it;
- imports run down the flow: a stage package imports only itself, the stages before it in FLOW
  and the SHARED modules; a shared module imports only shared modules; the TOOLS import anything
  but nothing in the flow imports them; the EDGE (the CLI) imports anything and nothing imports it;
- every module of `pipelines` has a place in these lists, so a new one is placed on purpose.
Each failure names the file, the line and the import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

import pipelines

ROOT = Path(pipelines.__file__).parent
PACKAGE = "pipelines"

# The stage packages, in the order their imports allow: each may import the ones before it.
# That is the flow of the data (DESIGN §1) with three libraries placed where their users need them:
# - standardize before intake: validation checks IDs, dates and area codes with the standardizers;
# - policy before household: the household facts read dated parameters (`Period.of`);
# - audit after policy (the manifest hashes the policy files), before what records to it:
#   what-if (the policy digests), the review outputs (unmasking is logged) and the jobs (manifest).
FLOW = ("sources", "standardize", "intake", "link", "policy", "audit", "household", "evaluate",
        "flags", "review", "jobs")
# Infrastructure every stage uses; it imports nothing of the flow.
SHARED = ("config", "errors", "exports", "lazy", "paths", "schemas", "sizing", "spark", "storage")
# The generator with its ground truth and the benchmarks: apart from the flow.
TOOLS = ("synth", "bench", "linkbench")
# The command line: the edge, where everything meets.
EDGE = ("cli",)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    path: Path
    line: int
    target: str  # the module imported (a name re-exported by a package: the module defining it)
    via: str  # the module the statement names (the package, for a re-exported name)
    name: str | None  # the name imported from it, if not a module
    where: str  # "module", "function" or "typing"

    def __str__(self) -> str:
        what = self.via + (f".{self.name}" if self.name else "")
        if self.target not in (self.via, f"{self.via}.{self.name}"):
            what += f" (defined in {self.target})"
        place = {"module": "", "function": " inside a function", "typing": " for typing"}[self.where]
        return f"{self.path}:{self.line}: {self.module} imports {what}{place}"


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Every module of the package tree under `root`, by dotted name (a package by its own)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_package(modules: dict[str, Path], name: str) -> bool:
    return modules[name].name == "__init__.py"


def _absolute(modules: dict[str, Path], importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer if _is_package(modules, importer) else importer.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{node.module}" if node.module else base


def _statements(tree: ast.Module):
    """(node, where) for every import statement, where: module, function or typing."""

    def walk(node: ast.AST, where: str):
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = "function"
            elif isinstance(child, ast.If) and where == "module" and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from ((n, "typing") for n in _imports_in(child.body))
                yield from walk_list(child.orelse, where)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, inner
            yield from walk(child, inner)

    def walk_list(nodes, where):
        for n in nodes:
            if isinstance(n, ast.Import | ast.ImportFrom):
                yield n, where
            yield from walk(n, where)

    def _imports_in(nodes):
        for n in nodes:
            if isinstance(n, ast.Import | ast.ImportFrom):
                yield n
            for sub in ast.walk(n):
                if sub is not n and isinstance(sub, ast.Import | ast.ImportFrom):
                    yield sub

    yield from walk(tree, "module")


def _lazy_exports(tree: ast.Module, package: str) -> dict[str, str]:
    """A package's names loaded on first use: `_LAZY = {"name": "submodule", ...}` in its __init__."""
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in targets) and node.value is not None:
                return {name: f"{package}.{sub}" for name, sub in ast.literal_eval(node.value).items()}
    return {}


class Graph:
    """The imports of a package tree, read with `ast`."""

    def __init__(self, root: Path, package: str):
        self.root, self.package = root, package
        self.modules = module_files(root, package)
        self.trees = {name: ast.parse(path.read_text(encoding="utf-8"), str(path))
                      for name, path in self.modules.items()}
        self.exports = {name: self._exports(name) for name in self.modules if _is_package(self.modules, name)}
        self.imports = [imp for name in self.modules for imp in self._imports(name)]

    def _exports(self, package: str) -> dict[str, str]:
        """name → the module it comes from, for every name the package's __init__ imports."""
        tree = self.trees[package]
        out = _lazy_exports(tree, package)
        for node, where in _statements(tree):
            if isinstance(node, ast.ImportFrom) and where != "function":
                source = _absolute(self.modules, package, node)
                for alias in node.names:
                    if source in self.modules and f"{source}.{alias.name}" not in self.modules:
                        out[alias.asname or alias.name] = source
        return out

    def defining(self, module: str, name: str, seen: frozenset = frozenset()) -> str:
        """The module that defines `name` imported from `module` (following re-exports)."""
        source = self.exports.get(module, {}).get(name)
        if source is None or source == module or (source, name) in seen:
            return module
        return self.defining(source, name, seen | {(source, name)})

    def _known(self, dotted: str) -> str | None:
        while dotted and dotted not in self.modules:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    def _imports(self, importer: str):
        path = self.modules[importer].relative_to(self.root.parent)
        for node, where in _statements(self.trees[importer]):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == self.package and (target := self._known(alias.name)):
                        yield Import(importer, path, node.lineno, target, target, None, where)
                continue
            source = _absolute(self.modules, importer, node)
            if source.split(".")[0] != self.package or (known := self._known(source)) is None:
                continue
            for alias in node.names:
                if f"{known}.{alias.name}" in self.modules:
                    target = f"{known}.{alias.name}"
                    yield Import(importer, path, node.lineno, target, known, alias.name, where)
                else:
                    target = self.defining(known, alias.name)
                    yield Import(importer, path, node.lineno, target, known, alias.name, where)

    def private_reads(self):
        """(path, line, text) for every `module._name` read through a module of the package."""
        for importer, tree in self.trees.items():
            aliases = {}
            for node, _ in _statements(tree):
                for alias in node.names:
                    if isinstance(node, ast.Import) and alias.asname and self._known(alias.name) == alias.name:
                        aliases[alias.asname] = alias.name
                    elif isinstance(node, ast.ImportFrom):
                        full = f"{_absolute(self.modules, importer, node)}.{alias.name}"
                        if full in self.modules:
                            aliases[alias.asname or alias.name] = full
            for node in ast.walk(tree):
                if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                        and node.value.id in aliases and _private(node.attr)):
                    path = self.modules[importer].relative_to(self.root.parent)
                    yield f"{path}:{node.lineno}: {importer} reads {aliases[node.value.id]}.{node.attr}"

    def loads(self, imp: Import) -> set[str]:
        """What a module-level import runs first: the module imported, the packages above it
        that the importer is not inside (their __init__ runs first), and the package a name is
        taken from (its __init__ must have bound the name; a submodule is imported instead)."""
        needed = {imp.target}
        if imp.name is not None and imp.target != f"{imp.via}.{imp.name}":
            needed.add(imp.via)
        out = set()
        for target in needed:
            parts = target.split(".")
            for i in range(2, len(parts) + 1):
                step = ".".join(parts[:i])
                inside = imp.module == step or imp.module.startswith(step + ".")
                if step != imp.module and (step in needed or not inside):
                    out.add(step)
        return out

    def load_edges(self) -> dict[str, set[str]]:
        """module → the modules loading it runs first (its module-level imports)."""
        edges: dict[str, set[str]] = {name: set() for name in self.modules}
        for imp in self.imports:
            if imp.where == "module":
                edges[imp.module] |= self.loads(imp)
        return edges


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def cycle_problems(graph: Graph) -> list[str]:
    edges = graph.load_edges()
    out = []
    for component in cycles(edges):
        members = set(component)
        lines = [str(imp) for imp in graph.imports if imp.where == "module" and imp.module in members
                 and graph.loads(imp) & members]
        out.append("import circle among " + ", ".join(component) + ":\n    " + "\n    ".join(lines))
    return out


def private_problems(graph: Graph) -> list[str]:
    out = []
    for imp in graph.imports:
        if imp.name and _private(imp.name) and f"{imp.via}.{imp.name}" not in graph.modules and imp.via != imp.module:
            out.append(f"{imp}: a private name")
            continue
        parts = imp.target.split(".")
        for i, part in enumerate(parts):
            holder = ".".join(parts[:i])
            if _private(part) and not (imp.module == holder or imp.module.startswith(holder + ".")):
                out.append(f"{imp}: a private module of {holder}")
                break
    return out + list(graph.private_reads())


def unit(graph: Graph, module: str) -> str:
    """The top-level part of `pipelines` a module belongs to ("" for the package itself)."""
    return module.split(".")[1] if module.count(".") else ""


def flow_problems(graph: Graph, flow=FLOW, shared=SHARED, tools=TOOLS, edge=EDGE) -> list[str]:
    out = []
    for imp in graph.imports:
        mine = unit(graph, imp.module)
        for target in dict.fromkeys((imp.via, imp.target)):
            theirs = unit(graph, target)
            if theirs in ("", mine) or mine in edge:
                continue
            if theirs in edge:
                out.append(f"{imp}: nothing imports the command line")
            elif mine in tools:
                continue
            elif theirs in tools:
                out.append(f"{imp}: the flow does not import the tools ({theirs})")
            elif mine in (*shared, "") and theirs not in shared:
                out.append(f"{imp}: a shared module imports only shared modules")
            elif mine in flow and theirs in flow and flow.index(theirs) > flow.index(mine):
                out.append(f"{imp}: up the flow ({mine} comes before {theirs})")
    return sorted(set(out))


def placement_problems(graph: Graph, flow=FLOW, shared=SHARED, tools=TOOLS, edge=EDGE) -> list[str]:
    placed = {*flow, *shared, *tools, *edge, ""}
    return [f"{graph.modules[m].relative_to(graph.root.parent)}: not in FLOW, SHARED, TOOLS or EDGE"
            for m in graph.modules if unit(graph, m) not in placed]


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph(ROOT, PACKAGE)


def test_every_module_has_a_place(graph):
    problems = placement_problems(graph)
    assert not problems, "\n".join(problems)


def test_no_import_circles(graph):
    problems = cycle_problems(graph)
    assert not problems, "\n".join(problems)


def test_no_private_names_across_modules(graph):
    problems = private_problems(graph)
    assert not problems, "\n".join(problems)


def test_imports_run_down_the_flow(graph):
    problems = flow_problems(graph)
    assert not problems, "\n".join(problems)


def test_every_stage_package_exports_its_public_names():
    """Each stage package lists its public names in `__all__`, and each resolves (the Spark
    ones load on first use)."""
    import importlib

    missing = []
    for name in FLOW:
        package = importlib.import_module(f"{PACKAGE}.{name}")
        exported = getattr(package, "__all__", None)
        if not exported:
            missing.append(f"{PACKAGE}.{name}: no __all__")
            continue
        missing += [f"{PACKAGE}.{name}.{n}" for n in exported if not hasattr(package, n)]
    assert not missing, "\n".join(missing)


# Modules that load without PySpark (the DAG files import the first two when Airflow parses them;
# the others serve commands and tasks that read files only).
LIGHT = ("pipelines.jobs", "pipelines.jobs.airflow_support", "pipelines.cli", "pipelines.config",
         "pipelines.intake", "pipelines.intake.ingest", "pipelines.intake.quarantine",
         "pipelines.review", "pipelines.review.trace", "pipelines.policy", "pipelines.audit",
         "pipelines.standardize", "pipelines.sources.files", "pipelines.bench.scoring")


def test_light_modules_load_without_pyspark():
    script = textwrap.dedent(f"""
        import importlib, sys
        for name in {LIGHT!r}:
            importlib.import_module(name)
            if "pyspark" in sys.modules:
                sys.exit(name + " imports pyspark")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


# ------------------------------------------------------------------- the checks can fail
def _tree(tmp_path: Path, files: dict[str, str]) -> Graph:
    for rel, text in files.items():
        path = tmp_path / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return Graph(tmp_path / "pkg", "pkg")


def test_the_checks_name_the_offending_imports(tmp_path):
    g = _tree(tmp_path, {
        "__init__.py": "",
        "errors.py": "from pkg.early.a import thing\n",
        "cli.py": "from pkg.late import b\n",
        "early/__init__.py": '_LAZY = {"late_name": "a"}\n',
        "early/a.py": "from pkg.late.b import _hidden\nthing = 1\n",
        "late/__init__.py": "from pkg.late.b import helper\n",
        "late/b.py": "from pkg.late.c import x\nhelper = 1\n_hidden = 2\n",
        "late/c.py": """
            from pkg.late import helper
            x = 1

            def f():
                from pkg import cli
                from pkg.tool import y
                from pkg.early import late_name
                import pkg.late.b as b
                return b._hidden
            """,
        "late/_inner.py": "",
        "tool/__init__.py": "import pkg.late._inner\ny = 1\n",
        "stray.py": "",
    })
    flow, shared, tools, edge = ("early", "late"), ("errors",), ("tool",), ("cli",)
    assert placement_problems(g, flow, shared, tools, edge) == ["pkg/stray.py: not in FLOW, SHARED, TOOLS or EDGE"]
    circles = cycle_problems(g)
    assert len(circles) == 1 and "pkg.late, pkg.late.b, pkg.late.c" in circles[0]
    assert "pkg/late/c.py:2: pkg.late.c imports pkg.late.helper (defined in pkg.late.b)" in circles[0]
    private = private_problems(g)
    assert "pkg/early/a.py:1: pkg.early.a imports pkg.late.b._hidden: a private name" in private
    assert "pkg/tool/__init__.py:1: pkg.tool imports pkg.late._inner: a private module of pkg.late" in private
    assert "pkg/late/c.py:10: pkg.late.c reads pkg.late.b._hidden" in private
    assert flow_problems(g, flow, shared, tools, edge) == [
        "pkg/early/a.py:1: pkg.early.a imports pkg.late.b._hidden: up the flow (early comes before late)",
        "pkg/errors.py:1: pkg.errors imports pkg.early.a.thing: a shared module imports only shared modules",
        "pkg/late/c.py:6: pkg.late.c imports pkg.cli inside a function: nothing imports the command line",
        "pkg/late/c.py:7: pkg.late.c imports pkg.tool.y inside a function: the flow does not import the tools (tool)",
    ]
    # a name a package loads on first use counts as an import of the module defining it
    assert any(imp.target == "pkg.early.a" and imp.name == "late_name" for imp in g.imports)
