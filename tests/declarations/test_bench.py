from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Organisation
from ticketing.models import Show

pytestmark = pytest.mark.django_db


def test_bench_declaration_prints_its_figures_and_cleans_up():
    out = StringIO()
    call_command("bench_declaration", "--performances", "3", stdout=out)
    printed = out.getvalue()
    assert "Spectacle de 3 représentations" in printed
    assert "HTTP 200" in printed
    assert "| PDF SACEM |" in printed and "| XML SACD |" in printed
    assert not Organisation.objects.filter(name="Banc d'essai déclaration").exists()
    assert not Show.objects.exists()
