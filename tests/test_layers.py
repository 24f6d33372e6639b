"""The layers of ARCHITECTURE.md, checked from the imports: no module imports a package above its own.

common (no domain) <- grids <- shops <- residents <- volunteers <- visits <- cases <- projects
<- public <- hotline <- notifications <- dashboard <- accounts <- audit <- portal <- tooling.
A package may import itself, anything below it and nothing above; tests may import anything. A new app
takes its place in LAYERS (its position says what it may import).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "common",
    "grids",
    "shops",
    "residents",
    "volunteers",
    "visits",
    "cases",
    "projects",
    "public",
    "hotline",
    "notifications",
    "dashboard",
    "accounts",
    "audit",
    "portal",
    "tooling",
]


def _imported_packages(path: Path) -> set[str]:
    """The top-level project packages a module imports (at module level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(LAYERS)


@pytest.mark.parametrize("package", LAYERS)
def test_no_module_imports_a_package_above_its_own(package):
    above = set(LAYERS[LAYERS.index(package) + 1 :])
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & above)
        for path in sorted((ROOT / package).rglob("*.py"))
        if _imported_packages(path) & above
    }
    assert wrong == {}


def test_every_project_package_has_its_layer():
    packages = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert packages == set(LAYERS)
