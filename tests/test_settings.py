"""Production settings: fail fast when a required variable is missing, clean `check --deploy`."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "assistant-declaration.example.gouv.fr",
    "BASE_URL": "https://assistant-declaration.example.gouv.fr",
    "SCALEWAY_TEM_SECRET_KEY": "scw-secret",
    "SCALEWAY_TEM_PROJECT_ID": "scw-project",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgresql://{db['USER']}:@/{db['NAME']}?host={db['HOST']}"


def test_check_deploy_is_clean_with_production_variables():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "DATABASE_URL": database_url()},
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_required_variable():
    for missing in ("DJANGO_SECRET_KEY", "DATABASE_URL", "BASE_URL", "SCALEWAY_TEM_SECRET_KEY"):
        env = {**PRODUCTION_ENV, "DATABASE_URL": database_url()}
        del env[missing]
        result = manage("check", env=env)
        assert result.returncode != 0
        assert f"The environment variable {missing} is required in production." in result.stderr
