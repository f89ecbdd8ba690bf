"""robots.txt and /.well-known/security.txt (RFC 9116)."""

import datetime

import pytest
from django.urls import reverse


def fields(body: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in body.strip().splitlines())


def test_robots_txt_outside_production_disallows_everything(client, settings):
    settings.IS_PRODUCTION = False
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "User-agent: *\nDisallow: /\n"


def test_robots_txt_in_production_hides_private_areas_only(client, settings):
    settings.IS_PRODUCTION = True
    body = client.get("/robots.txt").content.decode()
    lines = body.splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /" not in lines
    assert {"Disallow: /compte/", "Disallow: /admin/", "Disallow: /tableau-de-bord/"} <= set(lines)
    assert reverse("accounts:settings").startswith("/compte/")
    assert reverse("pages:dashboard") == "/tableau-de-bord/"


def test_robots_txt_is_cacheable(client):
    assert "max-age=86400" in client.get("/robots.txt")["Cache-Control"]


def test_security_txt(client, settings):
    settings.SECURITY_CONTACT_EMAIL = "securite@exemple.fr"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    values = fields(response.content.decode())
    assert values["Contact"] == "mailto:securite@exemple.fr"
    assert values["Preferred-Languages"] == "fr, en"
    assert values["Canonical"] == "http://testserver/.well-known/security.txt"
    assert values["Policy"] == f"http://testserver{reverse('pages:legal_notice')}#securite"
    expires = datetime.datetime.fromisoformat(values["Expires"])
    now = datetime.datetime.now(datetime.UTC)
    assert now + datetime.timedelta(days=300) < expires <= now + datetime.timedelta(days=366)


@pytest.mark.django_db
def test_security_txt_policy_anchor_exists(client):
    assert 'id="securite"' in client.get(reverse("pages:legal_notice")).content.decode()


def test_well_known_files_refuse_post(client):
    assert client.post("/robots.txt").status_code == 405
    assert client.post("/.well-known/security.txt").status_code == 405
