"""The house rules: each app imports only the apps below it, and its templates likewise.

    dashboard   replay         dashboard reads everything, replay replays brokering; nothing
                               imports either
    brokering   invoicing      (neither imports the other)
    packages
    providers
    zones
    notifications              every app that tells someone something sends through it
    core, accounts             the bottom floor (they may use each other)

`demo` fills every app and nothing imports it; `brokerage` is the project package
(settings, root URLs, the Celery app, navigation, run_everything), which may use
anything and which no app imports. A test here fails when a module or a template
reaches "up".
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOTTOM = {"core", "accounts"}
BELOW = {
    "core": BOTTOM,
    "accounts": BOTTOM,
    "notifications": BOTTOM,
    "zones": BOTTOM | {"notifications"},
    "providers": BOTTOM | {"notifications", "zones"},
    "packages": BOTTOM | {"notifications", "zones", "providers"},
    "brokering": BOTTOM | {"notifications", "zones", "providers", "packages"},
    "invoicing": BOTTOM | {"notifications", "zones", "providers", "packages"},
    "dashboard": BOTTOM
    | {"notifications", "zones", "providers", "packages", "brokering", "invoicing"},
}
# The replay runs brokering's own services on a virtual clock; only the project uses it.
BELOW["replay"] = BOTTOM | {"notifications", "zones", "providers", "packages", "brokering"}
BELOW["demo"] = BELOW["dashboard"] - {"dashboard"} | {"brokering", "invoicing"}
PROJECT_APPS = set(BELOW) | {"brokerage"}
# Template tag libraries by the app that defines them.
TAG_LIBRARIES = {
    "govuk": "core",
    "charts": "core",
    "brokering": "brokering",
    "invoicing": "invoicing",
    "zones": "zones",
    "market": "providers",
}
SHARED_TEMPLATES = {"base.html", "home.html", "includes", "drf_spectacular"}


def python_files(app):
    return [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


def imported_apps(path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            if (top := name.split(".")[0]) in PROJECT_APPS:
                yield top


@pytest.mark.parametrize("app", sorted(BELOW))
def test_an_app_imports_only_the_apps_below_it(app):
    reaching_up = {
        f"{path.relative_to(ROOT)} imports {other}"
        for path in python_files(app)
        for other in imported_apps(path)
        if other != app and other not in BELOW[app]
    }
    assert not reaching_up


def template_app(name: str) -> str | None:
    """The app a template belongs to, by its folder (None: shared by every app)."""
    first = name.split("/")[0]
    return None if first in SHARED_TEMPLATES else first


TEMPLATE_USE = re.compile(r"""{%\s*(?:include|extends)\s+["']([^"']+)["']""")
LIBRARY_USE = re.compile(r"{%\s*load\s+([^%]+)%}")
TEMPLATE_NAME = re.compile(r"""["']([a-z_]+/[\w/]+\.html)["']""")


def template_uses(path: Path):
    """The templates and the apps' tag libraries a template uses."""
    text = path.read_text()
    for name in TEMPLATE_USE.findall(text):
        yield name, template_app(name)
    for libraries in LIBRARY_USE.findall(text):
        for library in libraries.split():
            if library in TAG_LIBRARIES:
                yield f"{{% load {library} %}}", TAG_LIBRARIES[library]


@pytest.mark.parametrize("app", sorted(BELOW))
def test_an_apps_templates_use_only_templates_and_tags_of_apps_below_it(app):
    folder = ROOT / "templates" / app
    used = [
        (path, name, owner)
        for path in folder.rglob("*.html")
        for name, owner in template_uses(path)
    ]
    # Python renders templates too (views, inclusion tags, panels).
    used += [
        (path, name, template_app(name))
        for path in python_files(app)
        for name in TEMPLATE_NAME.findall(path.read_text())
    ]
    reaching_up = {
        f"{path.relative_to(ROOT)} uses {name}"
        for path, name, owner in used
        if owner not in (None, app) and owner not in BELOW[app]
    }
    assert not reaching_up


def test_no_app_imports_the_project_package_but_for_its_celery_app():
    # Tasks are declared with shared_task: apps never need the project's Celery app either.
    offenders = {
        str(path.relative_to(ROOT))
        for app in BELOW
        for path in python_files(app)
        if "brokerage" in set(imported_apps(path))
    }
    assert not offenders


def test_the_rules_know_every_app_with_code():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps <= PROJECT_APPS | {"core"}, apps - PROJECT_APPS
