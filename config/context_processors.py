"""Template context shared by every page, computed without any database query."""

from types import SimpleNamespace

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.passwords import password_policy
from config.crisp import crisp_identity

# Replaces django-dsfr's `site_config` processor, which reads a DsfrConfig row on every request.
SITE_CONFIG = SimpleNamespace(
    site_title="Assistant déclaration",
    site_tagline="Pour les entrepreneurs du spectacle vivant",
    header_brand_html="République<br>Française",
    footer_brand_html="République<br>Française",
    footer_description=(
        "Assistant déclaration aide les entrepreneurs du spectacle vivant à préparer et transmettre "
        "leurs déclarations (SACEM, SACD, CNM, ASTP, SIBIL) à partir de leurs données de billetterie."
    ),
    beta_tag=True,
    mourning=False,
    # django-dsfr's own notice renders outside any landmark; ours is in templates/base.html.
    notice_title="",
    notice_description="",
    accessibility_status="NOT",
    get_accessibility_status_display=lambda: "non conforme",
)

DEFAULT_SKIPLINKS = [
    {"link": "#content", "label": "Contenu"},
    {"link": "#header-navigation", "label": "Menu"},
    {"link": "#footer", "label": "Pied de page"},
]


def base_context() -> dict:
    """The part of the context that needs neither the request nor the database.

    The 500 page is rendered with this alone, so that it shows even when PostgreSQL is down.
    """
    return {
        "SITE_CONFIG": SITE_CONFIG,
        "skiplinks": DEFAULT_SKIPLINKS,
        "CONTACT_EMAIL": settings.CONTACT_EMAIL,
        "SECURITY_CONTACT_EMAIL": settings.SECURITY_CONTACT_EMAIL,
        "CRISP_ENABLED": bool(settings.CRISP_WEBSITE_ID),
        "CRISP_WEBSITE_ID": settings.CRISP_WEBSITE_ID,
        "CRISP_SIGNED_IDENTITY": bool(settings.CRISP_WEBSITE_ID and settings.CRISP_SIGNING_KEY),
        "MATOMO_URL": settings.MATOMO_URL,
        "MATOMO_SITE_ID": settings.MATOMO_SITE_ID,
        "IS_PRODUCTION": settings.IS_PRODUCTION,
        "PASSWORD_POLICY": password_policy(),
        "TERMS_VERSION": settings.TERMS_VERSION,
    }


def site(request: HttpRequest) -> dict:
    return {
        **base_context(),
        # Evaluated only when a template reads it, for a signed-in user (see help_scripts.html).
        "crisp_identity": SimpleLazyObject(lambda: crisp_identity(request)),
    }
