"""Crisp live chat: loaded only on click, signed identity computed on the server."""

import hashlib
import hmac
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from config.crisp import crisp_user_signature
from tests.pages.helpers import csp_nonce, script_tags

pytestmark = pytest.mark.django_db

WEBSITE_ID = "00000000-1111-2222-3333-444444444444"


@pytest.fixture
def crisp(settings):
    settings.CRISP_WEBSITE_ID = WEBSITE_ID
    settings.CRISP_SIGNING_KEY = ""
    return settings


@pytest.fixture
def crisp_signed(crisp):
    crisp.CRISP_SIGNING_KEY = "clé-de-signature"
    return crisp


def loader_tag(html: str) -> str | None:
    tags = [tag for tag in script_tags(html) if 'id="crisp-loader"' in tag]
    assert len(tags) <= 1
    return tags[0] if tags else None


def test_without_website_id_no_chat_at_all(client, settings):
    settings.CRISP_WEBSITE_ID = ""
    html = client.get(reverse("pages:help")).content.decode()
    assert "data-crisp-open" not in html
    assert "Messagerie instantanée" not in html
    assert loader_tag(html) is None
    assert "crisp" not in html.lower()
    assert f"mailto:{settings.CONTACT_EMAIL}" in html
    assert f'href="{reverse("pages:faq")}"' in html


def test_with_website_id_the_button_shows_but_crisp_is_not_loaded(client, crisp):
    response = client.get(reverse("pages:help"))
    html = response.content.decode()
    assert re.search(r"<button[^>]*data-crisp-open[^>]*>Messagerie instantanée</button>", html)
    assert "client.crisp.chat" not in html
    assert not any("crisp.chat" in tag for tag in script_tags(html))
    tag = loader_tag(html)
    assert 'src="/static/js/crisp.js"' in tag
    assert f'data-crisp-website-id="{WEBSITE_ID}"' in tag
    assert f'nonce="{csp_nonce(response)}"' in tag
    assert "data-crisp-user-email" not in tag


def test_loader_is_on_every_page_so_any_button_works(client, crisp):
    assert loader_tag(client.get(reverse("pages:home")).content.decode())


def test_anonymous_home_page_makes_no_query_with_crisp(
    client, crisp_signed, django_assert_num_queries
):
    with django_assert_num_queries(0):
        html = client.get(reverse("pages:home")).content.decode()
    assert "data-crisp-user-email" not in loader_tag(html)


def test_signed_in_user_without_signing_key_gets_no_identity(client, crisp, user):
    client.force_login(user)
    tag = loader_tag(client.get(reverse("pages:help")).content.decode())
    assert "data-crisp-user-email" not in tag
    assert "data-crisp-user-signature" not in tag


def test_signed_in_user_with_signing_key_gets_a_signed_identity(client, crisp_signed, user):
    client.force_login(user)
    tag = loader_tag(client.get(reverse("pages:help")).content.decode())
    expected = hmac.new(b"cl\xc3\xa9-de-signature", user.email.encode(), hashlib.sha256)
    assert f'data-crisp-user-email="{user.email}"' in tag
    assert f'data-crisp-user-signature="{expected.hexdigest()}"' in tag


def test_signature_matches_known_hmac_sha256_vectors(settings):
    settings.CRISP_SIGNING_KEY = "Jefe"  # RFC 4231, test case 2
    assert crisp_user_signature("what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    settings.CRISP_SIGNING_KEY = "key"
    assert crisp_user_signature("The quick brown fox jumps over the lazy dog") == (
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )


def test_privacy_page_mentions_the_e_mail_only_when_it_is_sent(client, crisp_signed):
    html = client.get(reverse("pages:privacy")).content.decode()
    assert "votre adresse e-mail lui est alors transmise" in html
    crisp_signed.CRISP_SIGNING_KEY = ""
    html = client.get(reverse("pages:privacy")).content.decode()
    assert "votre adresse e-mail lui est alors transmise" not in html


def test_static_script_loads_crisp_only_on_click():
    source = Path(finders.find("js/crisp.js")).read_text(encoding="utf-8")
    assert '"https://client.crisp.chat/l.js"' in source
    assert "[data-crisp-open]" in source
    assert '["set", "user:email", [email, signature]]' in source
    assert "window.CRISP_WEBSITE_ID" in source
    # The only place that inserts Crisp's script is the click path.
    assert source.count("createElement") == 1
    assert source.index("function load()") < source.index("createElement")
    assert source.index("createElement") < source.index('addEventListener("click"')
