"""Benchmark of the sync over real HTTP on loopback: figures, not assertions.

For each provider: starts the sandbox in its own process (so its CPU and memory are not ours),
registers an account of the chosen size, then runs the real sync engine three times — first
sync, incremental after 1 % of the tickets changed, incremental with nothing changed — and
prints requests, 429 answers, wall and CPU time, peak memory of this process, SQL statements
and rows written. The benchmark organisation is deleted at the end.
"""

import importlib
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import override_settings

from accounts.models import Organisation
from ticketing.credentials import credentials_encrypt, credentials_fingerprint
from ticketing.models import Show, SyncRun, TicketingSystem
from ticketing.sync import sync_execute

SIZES = {
    "small": {"shows": 5, "performances": 3, "tickets": 40},
    "large": {"shows": 200, "performances": 10, "tickets": 150},
}
PROVIDERS = ("billetweb", "mapado", "helloasso", "shotgun", "supersoniks")
ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Figures:
    run: str
    status: str
    requests: int
    rate_limited: int
    wall: float
    cpu: float
    peak_mb: float
    statements: int
    rows: int


class _SqlCounter:
    def __init__(self) -> None:
        self.statements = self.rows = 0

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        self.statements += 1
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.rows += max(context["cursor"].rowcount, 0)
        return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Command(BaseCommand):
    help = "Mesure la synchronisation (premier passage, 1 % de billets modifiés, aucun changement)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--provider", choices=[*PROVIDERS, "all"], default="all")
        parser.add_argument("--size", choices=[*SIZES, "all"], default="small")

    def handle(self, *args, **options) -> None:
        providers = PROVIDERS if options["provider"] == "all" else (options["provider"],)
        sizes = list(SIZES) if options["size"] == "all" else [options["size"]]
        self.stdout.write(
            "| logiciel | taille | passage | état | requêtes | 429 | durée (s) | CPU (s) | "
            "mémoire max (Mo) | requêtes SQL | lignes écrites |"
        )
        self.stdout.write("|---|---|---|---|---|---|---|---|---|---|---|")
        for provider in providers:
            for size in sizes:
                for figures in self._bench(provider, size):
                    self.stdout.write(
                        f"| {provider} | {size} | {figures.run} | {figures.status} | "
                        f"{figures.requests} | {figures.rate_limited} | {figures.wall:.1f} | "
                        f"{figures.cpu:.1f} | {figures.peak_mb:.0f} | {figures.statements} | "
                        f"{figures.rows} |"
                    )

    def _bench(self, provider: str, size: str) -> list[Figures]:
        port = _free_port()
        sandbox = subprocess.Popen(  # noqa: S603 (our own manage.py, fixed arguments)
            [sys.executable, str(ROOT / "manage.py"), "sandbox_serve", "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(f"{base}/_faults")
            credentials = importlib.import_module(f"ticketing.sandbox.{provider}").DEMO_CREDENTIALS
            auth = {"access_key": credentials.access_key, "secret_key": credentials.secret_key}
            dimensions = dict(SIZES[size])
            if provider == "supersoniks" and size == "large":
                dimensions["performances"] = 10  # 200 × 10 = 2,000 sessions
            httpx.post(f"{base}/_bench/{provider}", params={**dimensions, **auth}, timeout=600)
            organisation, system = self._system(provider, credentials)
            try:
                with _pointing_at(base):
                    results = [self._measure("premier", system)]
                    # Providers date changes to the second: a change made in the very second a
                    # run started is read again by the next run (on purpose). Step aside.
                    time.sleep(1.1)
                    httpx.post(
                        f"{base}/_bench/{provider}/touch",
                        params={"share": 0.01, **auth},
                        timeout=60,
                    )
                    time.sleep(1.1)
                    results.append(self._measure("1 % modifiés", system))
                    time.sleep(1.1)
                    results.append(self._measure("aucun changement", system))
            finally:
                Show.objects.filter(organisation=organisation).delete()
                organisation.delete()
            return results
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)

    def _system(self, provider: str, credentials) -> tuple[Organisation, TicketingSystem]:
        organisation = Organisation.objects.create(
            name="Banc d'essai", siren=f"9{int(time.time()) % 10**8:08d}", head_office_siret="0"
        )
        system = TicketingSystem.objects.create(
            organisation=organisation,
            provider=provider,
            credentials_encrypted=credentials_encrypt(credentials),
            credentials_fingerprint=credentials_fingerprint(provider, credentials),
        )
        return organisation, system

    def _measure(self, label: str, system: TicketingSystem) -> Figures:
        counter = _SqlCounter()
        run = SyncRun.objects.create(ticketing_system=system, trigger="bench")
        wall, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(counter):
            run = sync_execute(run.pk)
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return Figures(
            run=label,
            status=run.get_status_display() + (f" ({run.error})" if run.error else ""),
            requests=run.requests_made,
            rate_limited=run.rate_limited_responses,
            wall=time.perf_counter() - wall,
            cpu=time.process_time() - cpu,
            peak_mb=peak_kb / 1024,
            statements=counter.statements,
            rows=counter.rows,
        )


def _pointing_at(base: str) -> override_settings:
    """Real HTTP to the loopback sandbox, whatever the settings in use."""
    return override_settings(
        HTTP_SANDBOX=False,
        TICKETING_RATE_BUDGETS=True,
        TICKETING_ALLOW_PRIVATE_HOSTS=True,
        TICKETING_BASE_URLS={
            **{p: f"{base}/{p}" for p in PROVIDERS},
            "supersoniks": f"{base}/supersoniks/{{domain}}/api/v2",
        },
    )


def _wait(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("The sandbox did not start.")
