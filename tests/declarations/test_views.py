"""The declaration pages around the form: attachments, CNM/ASTP documents and marking, the
SIBIL account, the review page, and the badges of the organisation home."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from declarations.building import details_for
from declarations.models import Attachment, Declaration, SibilAccount
from tests.declarations.fixtures import show_with_performances
from tests.factories import MembershipFactory
from ticketing.credentials import credentials_decrypt
from ticketing.sandbox import sibil

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def declarant(client):
    membership, show = show_with_performances(2)
    client.force_login(membership.user)
    return client, membership, show


def args(show, *more):
    return [show.organisation_id, show.pk, *more]


def test_an_attachment_is_checked_by_content_stored_and_downloadable(declarant):
    client, _, show = declarant
    upload = reverse("declarations:attachment_upload", args=args(show))
    renamed = SimpleUploadedFile("contrat.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = client.post(upload, {"file": renamed, "kind": "artistic_contract"}, follow=True)
    assert "PDF" in response.content.decode()  # the refusal names the accepted kinds
    assert not Attachment.objects.exists()
    good = SimpleUploadedFile("Contrat signé.pdf", PDF, "application/octet-stream")
    client.post(upload, {"file": good, "kind": "artistic_contract"})
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf"
    response = client.get(reverse("declarations:attachment", args=args(show, attachment.pk)))
    assert b"".join(response.streaming_content) == PDF
    response.close()


def test_an_oversize_attachment_is_refused_and_nothing_is_kept(declarant):
    client, _, show = declarant
    big = SimpleUploadedFile("gros.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf")
    response = client.post(
        reverse("declarations:attachment_upload", args=args(show)),
        {"file": big, "kind": "other"},
        follow=True,
    )
    assert "5 Mo" in response.content.decode()
    assert not Attachment.objects.exists()


def test_cnm_documents_and_marking_the_declaration_done(declarant):
    client, _, show = declarant
    details = details_for(show)
    details.organisms = ["cnm"]
    details.save()
    review = client.get(reverse("declarations:review", args=args(show))).content.decode()
    assert "Taxe due (CNM ou ASTP, 3,5 %)" in review
    assert "79,62" in review  # 3.5 % of 2 × 1 137,44 €
    pdf = client.get(reverse("declarations:show_tax_document", args=args(show, "cnm", "pdf")))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    csv = client.get(reverse("declarations:show_tax_document", args=args(show, "cnm", "csv")))
    assert "text/csv" in csv["Content-Type"]
    client.post(
        reverse("declarations:mark", args=args(show, "cnm")),
        {"declared_on": "2026-04-02", "reference": " CNM-42 "},
    )
    declaration = Declaration.objects.get(organism="cnm")
    assert (declaration.status, declaration.reference) == ("declared", "CNM-42")
    response = client.post(
        reverse("declarations:mark", args=args(show, "astp")), {"declared_on": "2099-01-01"}
    )
    assert response.status_code == 302
    assert not Declaration.objects.filter(organism="astp").exists()


def test_the_sibil_account_is_tested_then_kept_encrypted(client):
    owner = MembershipFactory(role=Role.OWNER)
    client.force_login(owner.user)
    url = reverse("declarations:sibil_settings", args=[owner.organisation_id])
    response = client.post(url, {"username": sibil.DEMO_USERNAME, "password": "faux"})
    assert "identifiants techniques sont incorrects" in response.content.decode()
    assert not SibilAccount.objects.exists()
    client.post(url, {"username": sibil.DEMO_USERNAME, "password": sibil.DEMO_PASSWORD})
    account = SibilAccount.objects.get()
    assert sibil.DEMO_PASSWORD not in account.credentials_encrypted
    assert credentials_decrypt(account.credentials_encrypted).secret_key == sibil.DEMO_PASSWORD
    page = client.get(url).content.decode()
    assert sibil.DEMO_PASSWORD not in page and sibil.DEMO_USERNAME in page


def test_the_quarterly_sibil_file_lists_the_performances_of_the_quarter(declarant):
    client, _, show = declarant
    response = client.get(
        reverse("declarations:sibil_quarter", args=[show.organisation_id, 2026, 1])
    )
    text = response.content.decode("utf-8-sig")
    assert text.count("Le Cracheur de feu") == 2
    other = client.get(reverse("declarations:sibil_quarter", args=[show.organisation_id, 2026, 2]))
    assert "Le Cracheur de feu" not in other.content.decode("utf-8-sig")


def test_the_home_page_shows_a_failed_sending_in_alert(declarant):
    client, membership, show = declarant
    Declaration.objects.create(show=show, organism="sacd", status="failed")
    home = reverse("organisations:home", args=[show.organisation_id])
    page = client.get(home + "?filtre=en-alerte").content.decode()
    assert "Échec d'envoi" in page and show.name in page


def test_the_review_page_lists_what_is_missing_and_sends_nothing(declarant):
    client, _, show = declarant
    details = details_for(show)
    details.organisms = ["sacem"]
    details.save()
    url = reverse("declarations:review", args=args(show))
    page = client.get(url).content.decode()
    assert "esthétique du spectacle." in page
    assert "Confirmer l'envoi" not in page
    client.post(url)
    assert not Declaration.objects.exists()
