import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from declarations.agencies import agencies_import, sample_path
from declarations.models import (
    Attachment,
    Declaration,
    SacdAgency,
    SacemAgency,
    ShowDetails,
    SibilAccount,
    Transmission,
    TransmissionFile,
)
from tests.factories import OrganisationFactory, UserFactory
from ticketing.connectors.base import Credentials
from ticketing.credentials import credentials_encrypt
from ticketing.manual import PerformanceInput, manual_show_create

pytestmark = pytest.mark.django_db

SACEM_IMPORT = reverse_lazy("admin:declarations_sacemagency_import")
SACD_IMPORT = reverse_lazy("admin:declarations_sacdagency_import")
SACEM_LIST = reverse_lazy("admin:declarations_sacemagency_changelist")
SACD_LIST = reverse_lazy("admin:declarations_sacdagency_changelist")


@pytest.fixture
def samples():
    for kind in ("sacem", "sacd"):
        agencies_import(kind, sample_path(kind).read_text(encoding="utf-8"))


def csv_upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("liste.csv", text.encode("utf-8"), "text/csv")


def staff_with(*codenames: str):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def emails(response) -> list[str]:
    return [agency.email for agency in response.context["cl"].result_list]


# --- Delegations -------------------------------------------------------------------------------


def test_delegation_lists_search_by_email_and_postal_code(admin_client, samples):
    response = admin_client.get(SACEM_LIST)
    assert response.status_code == 200
    assert f'href="{SACEM_IMPORT}"' in response.content.decode()
    assert len(response.context["cl"].result_list) == 6

    assert emails(admin_client.get(SACEM_LIST, {"q": "69004"})) == ["delegation-lyon@sacem.example"]
    assert emails(admin_client.get(SACEM_LIST, {"q": "PARIS@sacem"})) == [
        "delegation-paris@sacem.example"
    ]
    # SACD: every delegation a postal code could go to, the longest prefix first in routing.
    assert sorted(emails(admin_client.get(SACD_LIST, {"q": "38000"}))) == [
        "delegation-grenoble@sacd.example",
        "delegation-lyon@sacd.example",
    ]
    assert emails(admin_client.get(SACD_LIST, {"q": "2B"})) == ["delegation-corse@sacd.example"]


def test_superuser_imports_a_csv_file(admin_client, samples):
    page = admin_client.get(SACD_IMPORT)
    assert page.status_code == 200
    assert page.context["import_form"]["kind"].value() == "sacd"
    assert "Si une ligne est incorrecte, rien n'est modifié." in page.content.decode()

    response = admin_client.post(
        SACEM_IMPORT,
        {
            "kind": "sacem",
            "file": csv_upload("LOCAL;CP;Mail\nLyon;69001;delegation-lyon@sacem.example\n"),
        },
        follow=True,
    )

    assert response.redirect_chain == [(SACEM_LIST, 302)]
    assert (
        "Délégations SACEM : 0 créée(s), 1 mise(s) à jour, 5 supprimée(s), 0 inchangée(s)."
        in response.content.decode()
    )
    assert list(SacemAgency.objects.values_list("name", "postal_codes")) == [("Lyon", ["69001"])]
    assert SacdAgency.objects.count() == 6


def test_a_bad_file_shows_its_lines_and_changes_nothing(admin_client, samples):
    response = admin_client.post(
        SACD_IMPORT,
        {"kind": "sacd", "file": csv_upload("Département;mail\n69;lyon@sacd.example\n6900x;x\n")},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "Rien n&#x27;a été importé." in body
    assert "Ligne 3 : département « 6900x » invalide" in body
    assert "Ligne 3 : adresse e-mail « x » invalide." in body
    assert SacdAgency.objects.count() == 6


def test_people_who_are_not_staff_cannot_import(client, samples):
    client.force_login(UserFactory())
    file = csv_upload("LOCAL;CP;Mail\nX;69001;x@sacem.example\n")
    for response in (
        client.get(SACEM_IMPORT),
        client.post(SACEM_IMPORT, {"kind": "sacem", "file": file}),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))
    assert SacemAgency.objects.count() == 6


def test_staff_need_the_rights_to_change_the_delegations_they_import(client, samples):
    reader = staff_with("view_sacemagency")
    client.force_login(reader)
    assert f'href="{SACEM_IMPORT}"' not in client.get(SACEM_LIST).content.decode()
    assert client.get(SACEM_IMPORT).status_code == 403

    sacem_only = staff_with(
        "view_sacemagency", "add_sacemagency", "change_sacemagency", "delete_sacemagency"
    )
    client.force_login(sacem_only)
    response = client.post(
        SACEM_IMPORT,
        {"kind": "sacd", "file": csv_upload("Département;mail\n69;lyon@sacd.example\n")},
    )
    assert response.status_code == 200
    assert "Vous n&#x27;avez pas le droit de modifier les délégations SACD" in (
        response.content.decode()
    )
    assert SacdAgency.objects.count() == 6


def test_a_delegation_edited_by_hand_gets_clean_codes(admin_client):
    agency = SacdAgency.objects.create(name="Corse", email="corse@sacd.example")
    url = reverse("admin:declarations_sacdagency_change", args=[agency.pk])
    data = {"name": "Corse", "email": "Corse@SACD.example", "postal_code_prefixes": "2B,2A, 98"}

    response = admin_client.post(url, {**data, "postal_code_prefixes": "2A,2C"})
    assert response.status_code == 200
    assert "« 2C » n&#x27;est pas valide" in response.content.decode()

    assert admin_client.post(url, data).status_code == 302
    agency.refresh_from_db()
    assert (agency.email, agency.postal_code_prefixes) == ("corse@sacd.example", ["20", "98"])


# --- Records -----------------------------------------------------------------------------------


@pytest.fixture
def records():
    organisation = OrganisationFactory(name="Théâtre des Lilas")
    show = manual_show_create(
        organisation=organisation,
        name="Le Cracheur de feu",
        performances=[PerformanceInput(starts_at=timezone.now(), ends_at=None)],
    )
    ShowDetails.objects.create(show=show, venue_postal_code="69004", organisms=["sacem"])
    declaration = Declaration.objects.create(show=show, organism="sacem", status="sent")
    transmission = Transmission.objects.create(
        declaration=declaration,
        version=1,
        status="succeeded",
        snapshot={"show": {"name": "Le Cracheur de feu"}},
        steps={"email_sent": {"done_at": "2026-03-20T10:00:00+00:00"}},
    )
    sent = TransmissionFile.objects.create(
        transmission=transmission,
        name="Déclaration SACEM - le-cracheur-de-feu.pdf",
        content_type="application/pdf",
        file=ContentFile(b"%PDF-1.7 contenu", name="declaration.pdf"),
    )
    Attachment.objects.create(
        show=show,
        name="Contrat.pdf",
        content_type="application/pdf",
        size=16,
        file=ContentFile(b"%PDF-1.7 contrat", name="contrat.pdf"),
    )
    sibil = SibilAccount.objects.create(
        organisation=organisation,
        username="sibil-lilas",
        credentials_encrypted=credentials_encrypt(
            Credentials("sibil-lilas", "mot-de-passe-sibil-tres-secret")
        ),
    )
    return {"show": show, "declaration": declaration, "transmission": transmission}, sent, sibil


def test_support_reads_every_record_and_never_sees_credentials(admin_client, records):
    objects, sent, sibil = records
    pages = [
        reverse("admin:declarations_showdetails_changelist"),
        reverse("admin:declarations_showdetails_change", args=[objects["show"].pk]),
        reverse("admin:declarations_declaration_changelist"),
        reverse("admin:declarations_declaration_change", args=[objects["declaration"].pk]),
        reverse("admin:declarations_transmission_changelist"),
        reverse("admin:declarations_transmission_change", args=[objects["transmission"].pk]),
        reverse("admin:declarations_attachment_changelist"),
        reverse("admin:declarations_sibilaccount_changelist"),
        reverse("admin:declarations_sibilaccount_change", args=[sibil.pk]),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "tres-secret" not in body
        assert sibil.credentials_encrypted not in body
        assert sibil.credentials_encrypted[:20] not in body

    sibil_page = admin_client.get(pages[-1]).content.decode()
    assert "sibil-lilas" in sibil_page
    assert 'name="username"' not in sibil_page  # read-only


def test_declarations_are_listed_by_organism_and_status_and_found_by_show(admin_client, records):
    url = reverse("admin:declarations_declaration_changelist")
    objects, _, _ = records
    found = admin_client.get(url, {"q": "cracheur"}).context["cl"].result_list
    assert list(found) == [objects["declaration"]]
    assert not admin_client.get(url, {"status__exact": "draft"}).context["cl"].result_list
    assert admin_client.get(url, {"organism__exact": "sacem"}).context["cl"].result_list


def test_transmissions_are_read_only_and_their_files_downloadable(admin_client, records):
    objects, sent, _ = records
    transmission = objects["transmission"]
    change = admin_client.get(
        reverse("admin:declarations_transmission_change", args=[transmission.pk])
    )
    file_url = reverse("admin:declarations_transmission_file", args=[transmission.pk, sent.pk])
    body = change.content.decode()
    assert f'href="{file_url}"' in body
    assert "email_sent" in body
    assert 'name="status"' not in body
    assert admin_client.get(reverse("admin:declarations_transmission_add")).status_code == 403
    delete_url = reverse("admin:declarations_transmission_delete", args=[transmission.pk])
    assert admin_client.get(delete_url).status_code == 403

    response = admin_client.get(file_url)
    content = b"".join(response.streaming_content)
    assert content == b"%PDF-1.7 contenu"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")

    other = reverse("admin:declarations_transmission_file", args=[transmission.pk + 1, sent.pk])
    assert admin_client.get(other).status_code == 404


def test_transmission_files_need_the_view_right(client, records):
    objects, sent, _ = records
    client.force_login(staff_with("view_sacemagency"))
    url = reverse(
        "admin:declarations_transmission_file", args=[objects["transmission"].pk, sent.pk]
    )
    assert client.get(url).status_code == 403
