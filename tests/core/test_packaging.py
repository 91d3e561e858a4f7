"""`pip install .` installs all that running needs: code, templates and the built static files.

The build is setuptools' own `build_py` (what a wheel is made of) on a copy of
the source tree, so that nothing is written into the checkout and no package
index is needed; the built copy is then used from another folder, as an
installed package would be.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "node_modules",
    "var",
    "tests",
    "bench",
    "build",
    "*.egg-info",
    "__pycache__",
    "screenshots",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The folder a wheel of the project would unpack to."""
    source = tmp_path_factory.mktemp("source") / "brokerage"
    shutil.copytree(ROOT, source, ignore=NOT_SHIPPED)
    lib = tmp_path_factory.mktemp("lib")
    result = subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "build_py", "-d", lib],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return lib


def shipped(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def test_every_template_and_static_file_is_in_the_package(built):
    assert shipped(ROOT / "templates") <= shipped(built / "templates")
    static = ROOT / "brokerage" / "static"
    assert shipped(static) <= shipped(built / "brokerage" / "static")


def test_the_installed_package_renders_pages_away_from_the_source_tree(built, tmp_path):
    script = (
        "import django; django.setup();"
        "from django.template.loader import get_template;"
        "from django.contrib.staticfiles import finders;"
        "print(get_template('zones/zone_list.html').origin.name);"
        "print(finders.find('govuk/application.css'))"
    )
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(built),
        "DJANGO_SETTINGS_MODULE": "brokerage.settings",
        "BROKERAGE_VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    template, stylesheet = result.stdout.split()
    assert Path(template).is_relative_to(built)
    assert Path(stylesheet).is_relative_to(built)
