"""Production settings: fail fast when a required variable is missing, clean `check --deploy`."""

import os
import re
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
    "TICKETING_CREDENTIALS_KEYS": "cHJvZHVjdGlvbi10ZXN0LWtleS0zMi1ieXRlcy0hISE=",
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


def test_production_serves_pages_and_hashed_static_files_through_gunicorn(tmp_path):
    """The Procfile's web process, end to end: collectstatic, gunicorn, WhiteNoise."""
    import socket
    import time
    import urllib.request

    env = {
        **PRODUCTION_ENV,
        "DATABASE_URL": database_url(),
        "SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    result = manage("collectstatic", "--noinput", "-v", "0", env=env)
    assert result.returncode == 0, result.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env={**clean, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                # As the host's router forwards an HTTPS request.
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/", headers={"X-Forwarded-Proto": "https"}
                )
                with urllib.request.urlopen(request, timeout=2) as response:
                    html = response.read().decode()
                    headers = response.headers
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.2)
        assert "Assistant déclaration" in html
        assert "Strict-Transport-Security" in headers and "Content-Security-Policy" in headers
        css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', html).group(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{css}", timeout=5) as response:
            assert response.status == 200
            assert "max-age=315360000" in response.headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=10)
