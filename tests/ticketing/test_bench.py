"""The benchmark command keeps working (its figures are read by people, not asserted)."""

from io import StringIO

import pytest
from django.core.management import call_command

from ticketing.models import Show, TicketingSystem


@pytest.mark.django_db(transaction=True)
def test_bench_sync_prints_three_runs_over_real_http_and_cleans_up():
    out = StringIO()
    call_command("bench_sync", provider="shotgun", size="small", stdout=out)
    rows = [line for line in out.getvalue().splitlines() if line.startswith("| shotgun")]
    assert len(rows) == 3
    assert all("| Terminée |" in row for row in rows)
    assert all(row.split("|")[6].strip() == "0" for row in rows)  # no 429 answer
    assert not Show.objects.exists() and not TicketingSystem.objects.exists()
