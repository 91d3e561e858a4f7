"""The design's rules about the packages app itself."""

import ast
from pathlib import Path

import packages

APP = Path(packages.__file__).parent


def _imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_packages_never_imports_brokering():
    # Brokering reacts to packages (signals), never the other way round.
    offenders = {
        f"{path.relative_to(APP.parent)}: {module}"
        for path in APP.rglob("*.py")
        for module in _imported_modules(path)
        if module.split(".")[0] in ("brokerage", "brokering", "invoicing", "dashboard", "demo")
    }
    assert not offenders
