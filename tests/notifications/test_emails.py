import pytest
from django.core import mail
from django.utils import timezone

from notifications.emails import send_templated_email
from notifications.models import OutgoingEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def welcome_templates(email_templates):
    email_templates.update(
        {
            "emails/welcome.subject.txt": "\n  Bienvenue chez\n  {{ organisation }}  \n",
            "emails/welcome.txt": (
                '{% extends "emails/base.txt" %}{% block content %}Bonjour {{ name }},\n'
                "Connectez-vous : {{ login_url }}{% endblock %}"
            ),
            "emails/welcome.html": (
                '{% extends "emails/base.html" %}{% block content %}'
                "<p>Bonjour {{ name }},</p>"
                '{% include "emails/_button.html" with url=login_url label="Se connecter" %}'
                "{% endblock %}"
            ),
        }
    )


@pytest.mark.usefixtures("welcome_templates")
def test_send_templated_email_renders_subject_text_and_html(settings):
    settings.DEFAULT_FROM_EMAIL = "Assistant déclaration <noreply@example.org>"
    settings.CONTACT_EMAIL = "contact@example.org"

    send_templated_email(
        to=["camille@example.org"],
        template="welcome",
        context={
            "name": "Jeanne d'Arc & Cie",
            "organisation": "L'Épée <Théâtre>",
            "login_url": "http://testserver/compte/connexion/?next=/a&b=1",
        },
        reply_to=["declarant@example.org"],
        attachments=[("etat.pdf", b"%PDF-1.4", "application/pdf")],
    )

    [sent] = mail.outbox
    year = str(timezone.now().year)
    assert sent.subject == "Bienvenue chez L'Épée <Théâtre>"
    assert sent.from_email == "Assistant déclaration <noreply@example.org>"
    assert sent.to == ["camille@example.org"]
    assert sent.reply_to == ["declarant@example.org"]
    assert sent.attachments == [("etat.pdf", b"%PDF-1.4", "application/pdf")]

    # Plain text is not HTML-escaped and carries the shared footer.
    assert sent.body.startswith("Bonjour Jeanne d'Arc & Cie,\n")
    assert "http://testserver/compte/connexion/?next=/a&b=1" in sent.body
    assert "ne vous demandera jamais votre mot de passe" in sent.body
    assert "contact@example.org" in sent.body
    assert f"© {year} Assistant déclaration" in sent.body

    [(html, mimetype)] = sent.alternatives
    assert mimetype == "text/html"
    assert "<p>Bonjour Jeanne d&#x27;Arc &amp; Cie,</p>" in html
    assert "<title>Bienvenue chez L&#x27;Épée &lt;Théâtre&gt;</title>" in html
    assert 'href="http://testserver/compte/connexion/?next=/a&amp;b=1"' in html
    assert "background-color:#000091" in html
    assert "Se connecter" in html
    assert "Pour les entrepreneurs du spectacle vivant" in html
    assert "width:600px" in html
    assert "Marianne,Arial" in html
    assert "ne vous demandera jamais votre mot de passe" in html
    assert 'href="http://testserver/"' in html
    assert f"© {year} Assistant déclaration" in html

    outgoing = OutgoingEmail.objects.get()
    assert outgoing.status == OutgoingEmail.Status.SENT
    assert outgoing.body_html == html


@pytest.mark.usefixtures("welcome_templates")
def test_send_templated_email_context_can_override_defaults():
    send_templated_email(
        to=["camille@example.org"],
        template="welcome",
        context={"name": "Camille", "organisation": "X", "login_url": "http://testserver/"},
    )
    assert "http://testserver/" in mail.outbox[0].body
