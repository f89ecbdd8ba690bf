"""Matomo: rendered only when configured, cookieless, no token of a URL in the statistics."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse

from tests.pages.helpers import csp_nonce, script_tags

pytestmark = pytest.mark.django_db

MATOMO_URL = "https://stats.exemple.fr"


def loader_tag(html: str) -> str | None:
    tags = [tag for tag in script_tags(html) if 'id="matomo-loader"' in tag]
    assert len(tags) <= 1
    return tags[0] if tags else None


@pytest.mark.parametrize(("url", "site_id"), [("", ""), (MATOMO_URL, ""), ("", "12")])
def test_not_rendered_unless_fully_configured(client, settings, url, site_id):
    settings.MATOMO_URL = url
    settings.MATOMO_SITE_ID = site_id
    html = client.get(reverse("pages:home")).content.decode()
    assert loader_tag(html) is None
    assert "matomo" not in html.lower()


def test_rendered_when_configured(client, settings):
    settings.MATOMO_URL = MATOMO_URL
    settings.MATOMO_SITE_ID = "12"
    response = client.get(reverse("pages:faq"))
    tag = loader_tag(response.content.decode())
    assert 'src="/static/js/matomo.js"' in tag
    assert f'data-matomo-url="{MATOMO_URL}"' in tag
    assert 'data-matomo-site-id="12"' in tag
    assert f'data-matomo-path="{reverse("pages:faq")}"' in tag
    assert f'nonce="{csp_nonce(response)}"' in tag


def test_anonymous_home_page_makes_no_query_with_matomo(
    client, settings, django_assert_num_queries
):
    settings.MATOMO_URL = MATOMO_URL
    settings.MATOMO_SITE_ID = "12"
    with django_assert_num_queries(0):
        assert loader_tag(client.get(reverse("pages:home")).content.decode())


def test_urls_with_identifiers_are_reported_by_their_pattern(rf):
    request = rf.get("/compte/mot-de-passe-oublie/MQ/secret-token/")
    request.resolver_match = SimpleNamespace(route="compte/mot-de-passe-oublie/<uidb64>/<token>/")
    html = render_to_string(
        "includes/matomo.html",
        {"request": request, "MATOMO_URL": MATOMO_URL, "MATOMO_SITE_ID": "12"},
    )
    assert 'data-matomo-path="/compte/mot-de-passe-oublie/&lt;uidb64&gt;/&lt;token&gt;/"' in html
    assert "secret-token" not in html


def test_static_script_disables_cookies_before_tracking():
    source = Path(finders.find("js/matomo.js")).read_text(encoding="utf-8")
    assert source.index('_paq.push(["disableCookies"])') < source.index(
        '_paq.push(["trackPageView"])'
    )
    assert 'baseUrl + "matomo.js"' in source
    assert 'baseUrl + "matomo.php"' in source
    assert "setCustomUrl" in source
    assert "enableLinkTracking" not in source
