"""The package's shape, read from the source (ast): no import cycles, the domain free of AWS and Twilio,
capabilities importing only "downwards" in the order `domain/__init__.py` states, adapters one per port
with no reach into each other's private names. Each rule is checked on the real package and, so that it
cannot pass vacuously, on a small graph that breaks it."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "layers" / "core" / "python"
PACKAGE = "smsflows"
DOMAIN = "smsflows.domain"
# The allowed order, first may import any later one; the kernel is the modules at domain/'s root.
ORDER = ("shopify", "campaigns", "flows", "consent", "sending", "analytics", "compliance", "kernel")
ORDER_LINE = " → ".join(ORDER)
FORBIDDEN_IN_DOMAIN = ("boto3", "botocore", "twilio", "moto", "requests", "urllib3")
# Outside the domain, what domain modules may import.
DOMAIN_MAY_IMPORT = ("smsflows.ports", "smsflows.runtime.clock", "smsflows.runtime.errors")
ADAPTERS = "smsflows.adapters"
ADAPTERS_PRIVATE = "smsflows.adapters._dynamo"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str  # a module of the package, or a third-party top-level name
    names: tuple[str, ...] = ()  # the names taken with `from target import ...`
    line: int = 0


@dataclass
class Graph:
    modules: set[str] = field(default_factory=set)
    edges: list[Edge] = field(default_factory=list)

    def internal(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {m: set() for m in self.modules}
        for e in self.edges:
            if e.target in self.modules and e.target != e.source:
                out[e.source].add(e.target)
        return out


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def build_graph(root: Path = PACKAGE_ROOT / PACKAGE) -> Graph:
    """Every import in every module, at any depth (function-level and TYPE_CHECKING imports count too)."""
    graph = Graph()
    sources = {module_name(p): p for p in sorted(root.rglob("*.py"))}
    graph.modules = set(sources)
    for name, path in sources.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    graph.edges.append(Edge(name, _resolve(alias.name, graph.modules), (), node.lineno))
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(name, is_package, node.module, node.level)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    if sub in graph.modules:  # `from pkg import module`
                        graph.edges.append(Edge(name, sub, (), node.lineno))
                    else:
                        graph.edges.append(
                            Edge(name, _resolve(base, graph.modules), (alias.name,), node.lineno)
                        )
    return graph


def _absolute(module: str, is_package: bool, target: str | None, level: int) -> str:
    if level == 0:
        return target or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _resolve(target: str, modules: set[str]) -> str:
    """The package module an import names, or the third-party top-level package."""
    probe = target
    while probe:
        if probe in modules:
            return probe
        probe = probe.rpartition(".")[0]
    return target.split(".")[0]


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    adjacency = graph.internal()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(adjacency[v]):
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

    for v in sorted(adjacency):
        if v not in index:
            visit(v)
    return found


def capability(module: str) -> str | None:
    """The capability a domain module belongs to; "kernel" for domain/'s root modules; None outside."""
    if module != DOMAIN and not module.startswith(DOMAIN + "."):
        return None
    rest = module[len(DOMAIN) + 1 :].split(".") if module != DOMAIN else []
    if len(rest) >= 2 or (len(rest) == 1 and rest[0] in ORDER):
        return rest[0]
    return "kernel"


def domain_violations(graph: Graph) -> list[str]:
    """Imports out of the domain that it may not make, and capability imports against ORDER."""
    bad: list[str] = []
    for e in graph.edges:
        own = capability(e.source)
        if own is None:
            continue
        where = f"{e.source}:{e.line} imports {e.target}"
        if e.target.split(".")[0] in FORBIDDEN_IN_DOMAIN:
            bad.append(f"{where} (no AWS or Twilio SDK under domain/)")
            continue
        if e.target not in graph.modules:
            continue  # the standard library, pydantic, phonenumbers
        theirs = capability(e.target)
        if theirs is None:
            if e.target not in DOMAIN_MAY_IMPORT:
                bad.append(f"{where} (the domain may import only {', '.join(DOMAIN_MAY_IMPORT)} outside it)")
        elif theirs not in ORDER or own not in ORDER:
            bad.append(f"{where} (capability {theirs if theirs not in ORDER else own!r} is not in ORDER)")
        elif ORDER.index(theirs) < ORDER.index(own):
            bad.append(f"{where} (upwards: {own} may import only {', '.join(ORDER[ORDER.index(own) :])})")
    return bad


def adapter_violations(graph: Graph) -> list[str]:
    """Adapters take no private name from another adapter; only adapters use the private helper module."""
    bad: list[str] = []
    for e in graph.edges:
        if not e.target.startswith(ADAPTERS + ".") or e.target == e.source:
            continue
        private = [n for n in e.names if n.startswith("_")]
        if private:
            bad.append(f"{e.source}:{e.line} takes private {', '.join(private)} from {e.target}")
        if e.target.rpartition(".")[2].startswith("_") and e.target != ADAPTERS_PRIVATE:
            bad.append(f"{e.source}:{e.line} imports the private module {e.target}")
        if e.target == ADAPTERS_PRIVATE and not e.source.startswith(ADAPTERS + "."):
            bad.append(f"{e.source}:{e.line} imports {e.target}, which is private to the adapters")
    return bad


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph()


def test_the_graph_sees_the_whole_package(graph):
    assert len(graph.modules) > 60
    assert {
        "smsflows.domain.sending.send",
        "smsflows.adapters.message_log",
        "smsflows.ports",
    } <= graph.modules
    internal = graph.internal()
    assert "smsflows.domain.sending.pacing" in internal["smsflows.domain.sending.send"]
    assert (
        "smsflows.domain.flows.definitions" in internal["smsflows.domain.flows.steps"]
    )  # `from pkg import mod`


def test_no_import_cycles_in_the_package(graph):
    assert cycles(graph) == []


def test_the_domain_imports_no_sdk_and_only_downwards(graph):
    assert domain_violations(graph) == []


def test_adapters_keep_to_their_own_private_names(graph):
    assert adapter_violations(graph) == []


def test_every_capability_on_disk_is_in_the_order_and_the_docstring_states_it(graph):
    on_disk = {capability(m) for m in graph.modules if capability(m) not in (None, "kernel")}
    assert on_disk == set(ORDER) - {"kernel"}
    domain_doc = ast.get_docstring(ast.parse((PACKAGE_ROOT / PACKAGE / "domain" / "__init__.py").read_text()))
    assert domain_doc is not None and ORDER_LINE in domain_doc
    readme = (PACKAGE_ROOT.parents[2] / "README.md").read_text()
    assert ORDER_LINE in readme


# The rules themselves, on graphs that break them -------------------------------------------------


def _graph(*edges: tuple[str, str]) -> Graph:
    g = Graph()
    for source, target in edges:
        g.modules.add(source)
        if target.startswith(PACKAGE + "."):
            g.modules.add(target)
        g.edges.append(Edge(source, target, (), 1))
    return g


def test_a_cycle_is_found_and_named():
    g = _graph(("smsflows.a", "smsflows.b"), ("smsflows.b", "smsflows.c"), ("smsflows.c", "smsflows.a"),
               ("smsflows.c", "smsflows.d"))  # fmt: skip
    assert cycles(g) == [["smsflows.a", "smsflows.b", "smsflows.c"]]


@pytest.mark.parametrize(
    ("source", "target", "why"),
    [
        ("smsflows.domain.sending.send", "smsflows.domain.flows.definitions", "upwards"),
        ("smsflows.domain.phones", "smsflows.domain.compliance.quiet_hours", "upwards"),
        ("smsflows.domain.consent.ledger", "boto3", "no AWS or Twilio SDK"),
        ("smsflows.domain.flows.steps", "twilio", "no AWS or Twilio SDK"),
        ("smsflows.domain.shopify.events", "smsflows.adapters.message_log", "may import only"),
        ("smsflows.domain.reports.lift", "smsflows.domain.kernel_thing", "not in ORDER"),
        ("smsflows.domain.flows.steps", "smsflows.domain.campaigns.campaign", "upwards"),
        ("smsflows.domain.campaigns.eta", "smsflows.domain.shopify.records", "upwards"),
    ],
)
def test_a_forbidden_domain_import_is_reported(source, target, why):
    (violation,) = domain_violations(_graph((source, target)))
    assert source in violation and target in violation and why in violation


def test_downward_and_allowed_imports_pass():
    g = _graph(("smsflows.domain.shopify.events", "smsflows.domain.flows.steps"),
               ("smsflows.domain.shopify.events", "smsflows.domain.campaigns.campaign"),
               ("smsflows.domain.campaigns.eta", "smsflows.domain.sending.pacing"),
               ("smsflows.domain.campaigns.campaign", "smsflows.domain.flows.templates"),
               ("smsflows.domain.flows.steps", "smsflows.domain.compliance.quiet_hours"),
               ("smsflows.domain.sending.send", "smsflows.ports"), ("smsflows.domain.shops", "pydantic"))  # fmt: skip
    assert domain_violations(g) == []


def test_private_adapter_names_are_reported():
    g = _graph(("smsflows.adapters.message_log", "smsflows.adapters.consent_store"),
               ("smsflows.local.cloud", ADAPTERS_PRIVATE), ("smsflows.adapters.queues", "smsflows.adapters._other"))  # fmt: skip
    g.edges[0] = Edge(
        "smsflows.adapters.message_log", "smsflows.adapters.consent_store", ("_STATE_FIELDS",), 3
    )
    found = adapter_violations(g)
    assert len(found) == 3
    assert "private _STATE_FIELDS" in found[0]
    assert "private to the adapters" in found[1]
    assert "private module smsflows.adapters._other" in found[2]
