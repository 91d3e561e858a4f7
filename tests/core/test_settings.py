"""The settings module, started for real in a subprocess with a given environment.

Settings are read once per process, so each case starts `manage.py` afresh with
exactly the variables it names (plus PATH), as an operator's shell would.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "brokerage.example.org",
}


def run(*args, tmp_path, **environment):
    env = {
        "PATH": os.environ["PATH"],
        "BROKERAGE_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "brokerage.settings",
        **environment,
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage(*args, tmp_path, **environment):
    return run("manage.py", *args, tmp_path=tmp_path, **environment)


def load_settings(tmp_path, **environment):
    """Import the settings module alone: quicker than a command for what fails at import."""
    return run("-c", "import brokerage.settings", tmp_path=tmp_path, **environment)


def env_example():
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def test_production_check_deploy_is_clean(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_env_example_with_a_secret_passes_check_deploy(tmp_path):
    environment = {**env_example(), "SECRET_KEY": secrets.token_urlsafe(50)}
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **environment
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "secret_key", [None, "", "development-only-insecure-key-never-use-in-production"]
)
def test_production_refuses_the_development_or_an_empty_secret_key(tmp_path, secret_key):
    environment = {**PRODUCTION}
    environment.pop("SECRET_KEY")
    if secret_key is not None:
        environment["SECRET_KEY"] = secret_key
    result = load_settings(tmp_path, **environment)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("CONN_MAX_AGE", "sixty", "CONN_MAX_AGE must be a whole number"),
        ("DATABASE_URL", "postgress://db/brokerage", "DATABASE_URL must be a URL"),
        ("DATABASE_URL", "brokerage", "DATABASE_URL must be a URL"),
        ("CELERY_BROKER_URL", "rdis://localhost", "CELERY_BROKER_URL must be a URL"),
        ("EMAIL_URL", "smtp.example.org", "EMAIL_URL must be a URL"),
        ("SITE_URL", "brokerage.example.org", "SITE_URL must be a URL"),
    ],
)
def test_a_malformed_value_stops_the_start_naming_the_variable(tmp_path, variable, value, message):
    environment = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused", variable: value}
    result = load_settings(tmp_path, **environment)
    assert result.returncode != 0
    assert message in result.stderr


def test_development_defaults_need_no_environment(tmp_path):
    result = manage("check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "celery" / "queue").is_dir()
    assert (tmp_path / "celery" / "control").is_dir()


def test_production_static_files_collect_for_whitenoise(tmp_path):
    # What the Dockerfile runs: hashed, compressed files, and a manifest that
    # every {% static %} in the templates must be found in.
    result = manage("collectstatic", "--noinput", tmp_path=tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()


@pytest.mark.parametrize(("log_level", "noted"), [("WARNING", "False"), ("INFO", "True")])
def test_log_level_holds_for_the_answers_django_notes(tmp_path, log_level, noted):
    """Django's defaults put its loggers at INFO whatever the root's level: LOG_LEVEL=WARNING
    still wrote django.request's INFO lines (a race's refused accepts)."""
    result = run(
        "-c",
        "import django, logging; django.setup(); "
        "print(logging.getLogger('django.request').isEnabledFor(logging.INFO))",
        tmp_path=tmp_path,
        LOG_LEVEL=log_level,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == noted
