"""Every URL that is not explicitly public sends anonymous visitors to the login page."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PUBLIC = {
    "pages:home",
    "pages:faq",
    "pages:help",
    "pages:provider_help",
    "pages:accessibility",
    "pages:legal_notice",
    "pages:privacy",
    "pages:terms",
    "pages:sitemap",
    "pages:robots_txt",
    "pages:security_txt",
    "accounts:signup",
    "accounts:signup_confirm",
    "accounts:confirmation_resend",
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_confirm",
    "organisations:invitation",
    "organisations:invitation_signup",
}


def named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # the Django admin has its own login
            prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_patterns(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def sample_kwargs(pattern: URLPattern) -> dict:
    return {name: "1" for name in pattern.pattern.regex.groupindex}


PRIVATE = sorted(
    (name, sample_kwargs(pattern)) for name, pattern in named_patterns() if name not in PUBLIC
)


def test_there_are_private_urls():
    assert len(PRIVATE) >= 4


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), PRIVATE, ids=[name for name, _ in PRIVATE])
def test_anonymous_visitors_are_sent_to_login(client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, name
        assert response.url.startswith(reverse("accounts:login") + "?next="), name
