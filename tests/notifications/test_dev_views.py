from datetime import UTC, datetime

import pytest
from django.urls import NoReverseMatch, reverse

from notifications.models import OutgoingEmail

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.notifications.urls_debug")]


@pytest.fixture
def emails():
    older = OutgoingEmail.objects.create(
        from_email="noreply@example.org",
        to=["ancien@example.org"],
        subject="Un e-mail plus ancien",
        body_text="Ancien",
        created_at=datetime(2026, 1, 14, 8, 0, tzinfo=UTC),
        status=OutgoingEmail.Status.SENT,
    )
    newer = OutgoingEmail.objects.create(
        from_email="noreply@example.org",
        to=["camille@example.org"],
        cc=["copie@example.org"],
        reply_to=["declarant@example.org"],
        subject="Confirmez votre inscription",
        body_text=(
            "Bonjour,\nConfirmez ici : http://testserver/compte/confirmer/MQ/abc-123/.\n"
            "Puis lisez https://example.org/aide (en ligne)."
        ),
        body_html=(
            '<p>Bonjour <script>alert(1)</script><a href="http://testserver/compte/confirmer/MQ/abc-123/">'
            'Confirmer</a> <a href="https://example.org/faq?a=1&amp;b=2">FAQ</a></p>'
        ),
        attachments=[
            {"filename": "etat.pdf", "mimetype": "application/pdf", "content": "JVBERg=="}
        ],
        created_at=datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
        status=OutgoingEmail.Status.CAUGHT,
    )
    return older, newer


def test_list_shows_newest_first_in_paris_time(client, settings, emails):
    settings.DEBUG = True

    response = client.get(reverse("dev_emails:list"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Boîte d&#x27;envoi de développement</h1>" in content
    assert content.index("Confirmez votre inscription") < content.index("Un e-mail plus ancien")
    assert "camille@example.org, copie@example.org" in content
    assert "15/01/2026 10:30:00" in content
    assert "Intercepté" in content
    assert reverse("dev_emails:detail", args=[emails[1].pk]) in content


def test_list_when_empty(client, settings):
    settings.DEBUG = True
    response = client.get(reverse("dev_emails:list"))
    assert "Aucun e-mail pour l'instant." in response.content.decode()


def test_detail_shows_headers_text_html_and_links(client, settings, emails):
    settings.DEBUG = True
    email = emails[1]

    response = client.get(reverse("dev_emails:detail", args=[email.pk]))
    # The srcdoc preview inherits the page's CSP: 'none' would leave it blank.
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Confirmez votre inscription</h1>" in content
    assert "declarant@example.org" in content
    assert (
        "<pre" in content
        and "Confirmez ici : http://testserver/compte/confirmer/MQ/abc-123/." in content
    )
    assert response.context["links"] == [
        "http://testserver/compte/confirmer/MQ/abc-123/",
        "https://example.org/aide",
        "https://example.org/faq?a=1&b=2",
    ]
    assert '<a href="http://testserver/compte/confirmer/MQ/abc-123/">' in content
    assert '<a href="https://example.org/faq?a=1&amp;b=2">' in content
    # The HTML part is shown escaped inside a sandboxed iframe, never inline in the page.
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in content
    assert (
        'srcdoc="&lt;base target=&quot;_blank&quot;&gt;&lt;p&gt;Bonjour &lt;script&gt;' in content
    )
    assert "<script>alert(1)</script>" not in content
    assert "etat.pdf (application/pdf, 4" in content


@pytest.mark.parametrize("name, args", [("dev_emails:list", []), ("dev_emails:detail", [1])])
def test_mailbox_is_not_found_without_debug(client, emails, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 404


def test_unknown_email_is_not_found(client, settings):
    settings.DEBUG = True
    assert client.get(reverse("dev_emails:detail", args=[987654])).status_code == 404


@pytest.mark.urls("config.urls")
def test_mailbox_is_not_routed_without_debug():
    with pytest.raises(NoReverseMatch):
        reverse("dev_emails:list")
