"""docker-compose.yml keeps the production conventions, and stays in step with the settings.

No Docker engine runs here: CI validates the file with `docker-compose config -q`
and these tests check what that cannot (which service depends on what, how).
"""

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")
# Read by something other than the settings: the postgres image, gunicorn.
NOT_SETTINGS = {"POSTGRES_PASSWORD", "WEB_CONCURRENCY"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def variables_the_settings_read():
    """Names passed to env.*(), env_bool/env_int/env_url() or os.environ in settings.py."""
    tree = ast.parse((ROOT / "brokerage" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        func = node.func
        reader = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ast.unparse(func)
        if reader in ("env", "os.environ", "env_bool", "env_int", "env_url"):
            names.add(first.value)
    return names


def variables_in_env_example():
    """NAME=value lines, and `# NAME=value` lines (optional, shown at their default)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def env_example_values():
    text = (ROOT / ".env.example").read_text()
    return dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", text, flags=re.MULTILINE))


def condition(service, dependency):
    depends_on = service.get("depends_on", {})
    assert isinstance(depends_on, dict), "depends_on must name a condition for each dependency"
    return depends_on.get(dependency, {}).get("condition")


def test_the_production_services_are_all_there(services):
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "beat"}


def test_database_is_postgresql_15_or_newer_with_a_health_check_and_a_named_volume(
    compose, services
):
    db = services["db"]
    name, _, tag = db["image"].partition(":")
    assert name == "postgres"
    assert int(tag.split(".")[0].split("-")[0]) >= 15
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_redis_has_a_health_check(services):
    assert services["redis"]["image"].startswith("redis:")
    assert "ping" in services["redis"]["healthcheck"]["test"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_share_one_image_and_read_env(services, name):
    service = services[name]
    assert service["image"] == services["web"]["image"]
    assert service["build"] == "."
    assert service["env_file"] == ".env"


def test_migrate_runs_once_after_the_database_is_healthy(services):
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert condition(migrate, "db") == "service_healthy"


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_processes_start_after_migration_and_a_healthy_broker(services, name):
    assert condition(services[name], "migrate") == "service_completed_successfully"
    assert condition(services[name], "redis") == "service_healthy"


def test_web_is_gunicorn_with_a_health_check_on_the_health_page(services):
    web = services["web"]
    assert web["command"][:2] == ["gunicorn", "brokerage.wsgi"]
    assert any("/health/" in part for part in web["healthcheck"]["test"])


def test_worker_and_beat_run_the_celery_app(services):
    assert services["worker"]["command"][:4] == ["celery", "-A", "brokerage", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "brokerage", "beat"]
    assert "-B" not in services["worker"]["command"]
    assert "healthcheck" in services["worker"]


def test_there_is_exactly_one_beat(services):
    beat = services["beat"]
    assert "scale" not in beat
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    embedded = [
        name for name, service in services.items() if "-B" in (service.get("command") or [])
    ]
    assert embedded == []


def test_every_volume_is_named(compose, services):
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in compose["volumes"], f"{volume} is not a named volume"


def test_env_example_documents_every_variable_the_settings_read():
    missing = variables_the_settings_read() - variables_in_env_example()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_env_example_has_nothing_the_settings_do_not_read():
    unknown = variables_in_env_example() - variables_the_settings_read() - NOT_SETTINGS
    assert not unknown, f"not read by the settings: {sorted(unknown)}"


def test_env_example_is_production_and_points_at_the_compose_services():
    values = env_example_values()
    assert values["DEBUG"] == "false"
    assert values["SECRET_KEY"] == "", "the example must not carry a usable secret"
    assert "@db:5432/" in values["DATABASE_URL"]
    assert values["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert "localhost" in values["ALLOWED_HOSTS"].split(","), "the web health check needs it"
    password = values["POSTGRES_PASSWORD"]
    assert f":{password}@db:" in values["DATABASE_URL"]


def test_the_image_is_slim_python_built_with_static_files_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [
        line.split(maxsplit=1) for line in dockerfile.splitlines() if line[:1].isupper()
    ]
    assert ["FROM", "python:3.11-slim"] in instructions
    assert "DEBUG=false" in dockerfile and "collectstatic --noinput" in dockerfile
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_the_image_leaves_out_secrets_and_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".env", ".git", ".venv", "var", "node_modules"):
        assert path in ignored


def test_beat_keeps_its_schedule_on_a_named_volume(compose, services):
    """A recreated beat knows when each job last ran, instead of starting afresh."""
    beat = services["beat"]
    schedule = next(part for part in beat["command"] if part.startswith("--schedule="))
    folder = schedule.split("=", 1)[1].rsplit("/", 1)[0]
    mounts = dict(volume.split(":")[:2][::-1] for volume in beat["volumes"])
    assert mounts[folder] in compose["volumes"]
    # The image makes the folder for its unprivileged user, or the volume would be root's.
    assert f"mkdir -p {folder}" in (ROOT / "Dockerfile").read_text()


def test_the_web_servers_log_leaves_out_query_strings():
    """Searches take NHS numbers and names: the access log names the path alone."""
    config = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), config)
    assert "%(U)s" in config["access_log_format"]
    for with_query in ("%(r)s", "%(q)s", "%({raw_uri}e)s"):
        assert with_query not in config["access_log_format"]


def test_tasks_fit_in_the_visibility_timeout_and_the_workers_grace_to_stop(services, settings):
    """A task running longer than Redis's visibility timeout would be handed to a second
    worker; a worker killed before its tasks finish leaves them for that timeout."""
    from brokerage.celery import app

    longest = settings.CELERY_TASK_TIME_LIMIT
    for name, task in app.tasks.items():
        assert (task.time_limit or longest) <= longest, f"{name} outlives the time limit"
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert longest < visibility <= longest + 120
    grace = services["worker"]["stop_grace_period"]
    assert re.fullmatch(r"\d+s", grace) and int(grace[:-1]) >= longest
