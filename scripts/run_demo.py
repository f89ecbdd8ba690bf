"""`make run`: migrate and load the demo (`demo_setup`), then serve the fake external APIs
(`sandbox_serve`), the site and the task worker.

The three processes stop together on Ctrl+C. The embedded PostgreSQL keeps running in the
background (data in .data/postgres), so the next `make run` starts in seconds.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = os.environ.get("PORT", "8000")
URL = f"http://127.0.0.1:{PORT}/"
SANDBOX_PORT = os.environ.get("SANDBOX_PORT", "8001")
SANDBOX_URL = f"http://127.0.0.1:{SANDBOX_PORT}"


def manage(*args: str) -> list[str]:
    return [PYTHON, str(ROOT / "manage.py"), *args]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback only)
                return True
        except OSError:
            time.sleep(0.2)
    return False


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    # The web server and the worker find the fake APIs on this port (config/settings/dev.py).
    os.environ["SANDBOX_PORT"] = SANDBOX_PORT
    started = time.monotonic()
    subprocess.run(manage("demo_setup"), check=True, cwd=ROOT)
    subprocess.run(manage("demo_declarations"), check=True, cwd=ROOT)
    processes: list[subprocess.Popen] = []
    try:
        sandbox = subprocess.Popen(manage("sandbox_serve", "--port", SANDBOX_PORT), cwd=ROOT)
        processes.append(sandbox)
        if not wait_until_up(f"{SANDBOX_URL}/_faults", sandbox, timeout=30):
            print(
                f"Les fausses API n'ont pas démarré (le port {SANDBOX_PORT} est-il déjà pris ? "
                "Choisissez-en un autre avec SANDBOX_PORT).",
                file=sys.stderr,
            )
            return 1
        subprocess.run(manage("demo_ticketing"), check=True, cwd=ROOT)
        processes.append(subprocess.Popen(manage("qcluster"), cwd=ROOT))
        web = subprocess.Popen(
            manage("runserver", f"127.0.0.1:{PORT}", "--noreload", "--skip-checks"), cwd=ROOT
        )
        processes.append(web)
        if not wait_until_up(URL, web):
            print(
                f"Le serveur web n'a pas démarré (le port {PORT} est-il déjà pris ?).",
                file=sys.stderr,
            )
            return 1
        from accounts.demo import ADMIN_EMAIL, COLLEAGUE_EMAIL, DEMO_EMAIL, DEMO_PASSWORD

        print(
            "\n"
            f"  Assistant déclaration est prêt en {time.monotonic() - started:.1f} s : {URL}\n"
            f"  Compte de démonstration : {DEMO_EMAIL} / {DEMO_PASSWORD} (propriétaire)\n"
            f"  Collègue (membre) : {COLLEAGUE_EMAIL} / {DEMO_PASSWORD}\n"
            f"  Administration ({URL}admin/) : {ADMIN_EMAIL} / {DEMO_PASSWORD}\n"
            f"  E-mails envoyés : {URL}dev/emails/\n"
            f"  Fausses API (annuaire des entreprises, adresses) : {SANDBOX_URL}"
            " — pannes simulables, voir `manage.py help sandbox_serve`\n"
            "  Ctrl+C pour arrêter.\n",
            flush=True,
        )
        return web.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
