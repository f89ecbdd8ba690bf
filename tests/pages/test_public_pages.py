"""The public pages: status, title, <h1>, breadcrumb and the content they must state."""

import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from tests.pages.helpers import h1_texts, page_title

pytestmark = pytest.mark.django_db

SITE = "Assistant déclaration"
PAGES = [
    (
        "pages:home",
        "Accueil",
        "Vos déclarations de spectacles, préparées à partir de votre billetterie",
    ),
    ("pages:faq", "Questions fréquentes", "Questions fréquentes"),
    ("pages:help", "Aide", "Aide"),
    ("pages:accessibility", "Déclaration d'accessibilité", "Déclaration d'accessibilité"),
    ("pages:legal_notice", "Mentions légales", "Mentions légales"),
    ("pages:privacy", "Politique de confidentialité", "Politique de confidentialité"),
    ("pages:terms", "Modalités d'utilisation", "Modalités d'utilisation"),
    ("pages:sitemap", "Plan du site", "Plan du site"),
]
PASSWORD_POLICY = (
    "Votre mot de passe doit contenir au moins 12 caractères, ne pas être entièrement "
    "numérique, ne pas être trop courant ni trop proche de vos nom, prénom ou adresse e-mail."
)


def get_html(client, name: str) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    """The visible text, whitespace collapsed, for checks on sentences split over lines."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.parametrize(("name", "title", "h1"), PAGES)
def test_public_page_renders_with_its_title_and_one_h1(client, name, title, h1):
    html = get_html(client, name)
    assert page_title(html) == f"{title} — {SITE}"
    assert h1_texts(html) == [h1]
    assert 'lang="fr"' in html


def test_page_titles_are_unique():
    assert len({title for _, title, _ in PAGES}) == len(PAGES)


@pytest.mark.parametrize(("name", "title", "h1"), PAGES[1:])
def test_inner_pages_have_a_breadcrumb(client, name, title, h1):
    html = get_html(client, name)
    assert 'class="fr-breadcrumb"' in html
    assert re.search(rf'aria-current="page">{re.escape(title)}</a>', html.replace("&#x27;", "'"))


def test_home_page_has_no_breadcrumb(client):
    assert 'class="fr-breadcrumb"' not in get_html(client, "pages:home")


def test_footer_links_to_the_mandatory_pages(client):
    html = get_html(client, "pages:home")
    for name in ("sitemap", "accessibility", "legal_notice", "privacy", "terms"):
        assert f'href="{reverse(f"pages:{name}")}"' in html
    assert "Accessibilité : non conforme" in html


def test_home_page_for_an_anonymous_visitor(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        html = get_html(client, "pages:home")
    assert f'href="{reverse("accounts:signup")}">Créer un compte</a>' in html
    assert "Accéder à mon espace" not in html
    for software in ("Billetweb", "Mapado", "Supersoniks", "SoTicket", "HelloAsso", "Shotgun"):
        assert software in html
    for organism in ("SACEM", "SACD", "CNM", "ASTP", "SIBIL"):
        assert f">{organism}</abbr>" in html
    assert f'href="{reverse("pages:faq")}"' in html


def test_home_page_for_a_signed_in_user(client, user):
    client.force_login(user)
    html = get_html(client, "pages:home")
    assert f'href="{reverse("pages:dashboard")}">Accéder à mon espace</a>' in html
    assert ">Créer un compte</a>" not in html


def test_faq_is_an_accordion_group_of_about_twelve_questions(client):
    html = get_html(client, "pages:faq")
    assert 'class="fr-accordions-group"' in html
    controls = re.findall(r'class="fr-accordion__btn"[^>]*aria-controls="([^"]+)"', html)
    assert len(controls) >= 12
    assert len(set(controls)) == len(controls)
    for target in controls:
        assert f'id="{target}"' in html
    text = text_of(html)
    assert "gratuit" in text
    assert "à la main" in text
    assert "chiffrés" in text
    assert "inviter vos collègues" in text
    assert "Supprimer mon compte" in text
    assert f"mailto:{settings.CONTACT_EMAIL}" in html


def test_accessibility_statement(client):
    text = text_of(get_html(client, "pages:accessibility"))
    assert "non conforme" in text
    assert "RGAA 4.1" in text
    assert "pas encore été audité" in text
    assert settings.CONTACT_EMAIL in text
    assert "Défenseur des droits" in text
    assert "Voies de recours" in text


def test_legal_notice(client):
    html = get_html(client, "pages:legal_notice")
    text = text_of(html)
    assert "Service du numérique" in text
    assert "182 rue Saint-Honoré" in text
    assert "Le directeur du numérique du ministère de la Culture" in text
    assert "Scalingo SAS" in text
    assert "13 rue Jacques Peirotes" in text
    assert "67000 Strasbourg" in text
    assert 'id="securite"' in html
    assert f'href="{reverse("pages:security_txt")}"' in html
    assert reverse("pages:security_txt") == "/.well-known/security.txt"


def test_privacy_policy(client):
    html = get_html(client, "pages:privacy")
    text = text_of(html)
    assert "6-1-e" in text
    table = re.search(r"<table>.*?</table>", html, re.DOTALL).group(0)
    for processor in ("Scalingo", "Sentry", "Crisp", "Scaleway", "Brevo", "Matomo"):
        assert f'<th scope="row">{processor}</th>' in table
    assert "deux ans après la dernière connexion" in text
    assert "supprimé immédiatement" in text
    assert 'id="cookies"' in html
    for cookie in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        assert f"<code>{cookie}</code>" in html
    assert "<code>messages</code>" not in html
    assert "sans cookie" in text


@pytest.mark.django_db
def test_the_service_sets_only_the_cookies_the_privacy_policy_lists(client, user):
    from tests.factories import DEFAULT_PASSWORD

    client.get(reverse("accounts:login"))
    client.post(reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD})
    client.post(reverse("accounts:settings"), {"first_name": "Alix", "last_name": "Roy"})
    client.get(reverse("accounts:settings"))  # shows, then clears, a flash message
    client.post(reverse("accounts:logout"))
    assert set(client.cookies) <= {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}


def test_terms_of_use(client):
    html = get_html(client, "pages:terms")
    text = text_of(html)
    assert PASSWORD_POLICY in text
    assert f"Version {settings.TERMS_VERSION}" in text
    assert "441-1 du code pénal" in text


def test_terms_show_the_date_of_the_version(client, settings):
    settings.TERMS_VERSION = "2026-12-01"
    html = get_html(client, "pages:terms")
    assert '<time datetime="2026-12-01">1<sup>er</sup> décembre 2026</time>' in html


def test_terms_with_a_version_that_is_not_a_date(client, settings):
    settings.TERMS_VERSION = "v3"
    text = text_of(get_html(client, "pages:terms"))
    assert "Version v3." in text


def test_password_policy_is_one_sentence_from_the_setting(settings, rf):
    from accounts.forms import SignupForm

    rendered = render_to_string("includes/password_policy.html", request=rf.get("/"))
    assert rendered == PASSWORD_POLICY
    assert str(SignupForm().fields["password1"].help_text) == PASSWORD_POLICY
    settings.PASSWORD_MIN_LENGTH = 14
    rendered = render_to_string("includes/password_policy.html", request=rf.get("/"))
    assert rendered == PASSWORD_POLICY.replace("12", "14")
    assert str(SignupForm().fields["password1"].help_text) == rendered


def test_sitemap_lists_public_and_account_pages(client):
    html = get_html(client, "pages:sitemap")
    for name in [name for name, _, _ in PAGES] + [
        "pages:dashboard",
        "accounts:login",
        "accounts:signup",
        "accounts:settings",
    ]:
        assert f'href="{reverse(name)}"' in html, name


def test_dashboard_requires_sign_in(client):
    response = client.get(reverse("pages:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "provider", ["billetweb", "mapado", "supersoniks", "soticket", "helloasso", "shotgun"]
)
def test_each_provider_has_a_help_page(client, provider):
    from django.utils.html import escape

    from ticketing.providers import PROVIDERS

    response = client.get(reverse("pages:provider_help", args=[provider]))
    assert response.status_code == 200
    assert escape(PROVIDERS[provider].where) in response.content.decode()


def test_an_unknown_provider_has_no_help_page(client):
    assert client.get(reverse("pages:provider_help", args=["inconnu"])).status_code == 404
