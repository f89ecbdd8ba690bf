"""Every organisation-scoped URL × every kind of visitor.

ACCESS lists each URL whose pattern contains `organisation_id`, per HTTP method, with the
lowest role allowed. A URL added to the URLconf without an entry here fails
`test_every_organisation_url_is_in_the_table`; a view that does not go through
`accounts.permissions.organisation_view`, or declares other owner-only methods than the table
says, fails `test_views_use_the_membership_check`.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, Role
from accounts.teams import invitation_create
from declarations.models import Attachment, Declaration, Transmission, TransmissionFile
from tests.factories import MembershipFactory
from tests.test_authorisation import named_patterns
from ticketing.connectors.base import Credentials
from ticketing.credentials import credentials_encrypt, credentials_fingerprint
from ticketing.manual import PerformanceInput, manual_show_create
from ticketing.models import TicketingSystem

MEMBER, OWNER = "member", "owner"

# (URL name, method) → (lowest role allowed, POST data, status expected when allowed)
ACCESS = {
    ("organisations:home", "GET"): (MEMBER, None, 200),
    ("organisations:settings", "GET"): (MEMBER, None, 200),
    (
        "organisations:settings",
        "POST",
    ): (
        OWNER,
        {
            "name": "Nouveau nom",
            "street": "12 Rue de la Roquette",
            "postal_code": "75011",
            "city": "Paris",
            "sacem_id": "123",
            "sacd_id": "",
        },
        302,
    ),
    ("organisations:team", "GET"): (MEMBER, None, 200),
    ("organisations:invite", "POST"): (
        OWNER,
        {"email": "nouveau@exemple.fr", "role": "member"},
        302,
    ),
    ("organisations:invitation_resend", "POST"): (OWNER, {}, 302),
    ("organisations:invitation_revoke", "POST"): (OWNER, {}, 302),
    ("organisations:member_role", "POST"): (OWNER, {"role": "owner"}, 302),
    ("organisations:member_remove", "GET"): (OWNER, None, 200),
    ("organisations:member_remove", "POST"): (OWNER, {}, 302),
    ("organisations:leave", "GET"): (MEMBER, None, 200),
    ("organisations:leave", "POST"): (MEMBER, {}, 302),
    ("ticketing:list", "GET"): (MEMBER, None, 200),
    ("ticketing:status", "GET"): (MEMBER, None, 200),
    ("ticketing:connect", "GET"): (OWNER, None, 200),
    ("ticketing:connect", "POST"): (OWNER, {}, 200),
    ("ticketing:credentials", "GET"): (OWNER, None, 200),
    ("ticketing:credentials", "POST"): (OWNER, {}, 200),
    ("ticketing:disconnect", "GET"): (OWNER, None, 200),
    ("ticketing:disconnect", "POST"): (OWNER, {}, 302),
    ("ticketing:sync", "POST"): (MEMBER, {}, 302),
    ("ticketing:manual_add", "GET"): (MEMBER, None, 200),
    ("ticketing:manual_add", "POST"): (MEMBER, {}, 200),
    ("ticketing:manual_edit", "GET"): (MEMBER, None, 200),
    ("ticketing:manual_edit", "POST"): (MEMBER, {}, 200),
    ("ticketing:manual_delete", "GET"): (MEMBER, None, 200),
    ("ticketing:manual_delete", "POST"): (MEMBER, {}, 302),
    ("declarations:form", "GET"): (MEMBER, None, 200),
    ("declarations:form", "POST"): (MEMBER, {}, 200),
    ("declarations:review", "GET"): (MEMBER, None, 200),
    ("declarations:review", "POST"): (MEMBER, {}, 200),
    ("declarations:correct", "POST"): (MEMBER, {}, 302),
    ("declarations:transmissions", "GET"): (MEMBER, None, 200),
    ("declarations:retry", "POST"): (MEMBER, {}, 302),
    ("declarations:file", "GET"): (MEMBER, None, 200),
    ("declarations:show_tax_document", "GET"): (MEMBER, None, 200),
    ("declarations:mark", "POST"): (MEMBER, {"declared_on": "2026-01-05"}, 302),
    ("declarations:attachment_upload", "POST"): (MEMBER, {}, 302),
    ("declarations:attachment", "GET"): (MEMBER, None, 200),
    ("declarations:attachment_delete", "POST"): (MEMBER, {}, 302),
    ("declarations:sibil_settings", "GET"): (MEMBER, None, 200),
    ("declarations:sibil_settings", "POST"): (OWNER, {}, 200),
    ("declarations:sibil_quarter", "GET"): (MEMBER, None, 200),
}

VISITORS = ["anonymous", "outsider", "member", "owner"]


def organisation_patterns() -> dict:
    return {
        name: pattern
        for name, pattern in named_patterns()
        if "organisation_id" in pattern.pattern.regex.groupindex
    }


def test_every_organisation_url_is_in_the_table():
    in_urlconf = set(organisation_patterns())
    in_table = {name for name, _ in ACCESS}
    assert in_urlconf - in_table == set(), "organisation URLs missing from ACCESS"
    assert in_table - in_urlconf == set(), "ACCESS lists URLs that no longer exist"


def test_views_use_the_membership_check():
    patterns = organisation_patterns()
    for (name, method), (role, _, _) in ACCESS.items():
        callback = patterns[name].callback
        owner_methods = getattr(callback, "organisation_owner_methods", None)
        assert owner_methods is not None, f"{name} does not use organisation_view"
        assert (method in owner_methods) == (role == OWNER), f"{name} {method}"


@pytest.fixture
def team(db):
    owner = MembershipFactory(role=Role.OWNER)
    organisation = owner.organisation
    member = MembershipFactory(organisation=organisation, role=Role.MEMBER)
    colleague = MembershipFactory(organisation=organisation, role=Role.MEMBER)
    invitation = invitation_create(
        organisation=organisation,
        invited_by=owner.user,
        email="invitee@exemple.fr",
        role=Role.MEMBER,
    )
    outsider = MembershipFactory(role=Role.OWNER)  # owner of another organisation
    credentials = Credentials("12345", "secret")
    manual_show = manual_show_create(
        organisation=organisation,
        name="Lecture au jardin",
        performances=[PerformanceInput(starts_at=timezone.now(), ends_at=None)],
    )
    system = TicketingSystem.objects.create(
        organisation=organisation,
        provider="billetweb",
        credentials_encrypted=credentials_encrypt(credentials),
        credentials_fingerprint=credentials_fingerprint("billetweb", credentials),
    )
    sent = _sent_declaration(manual_show, owner.user)
    return {
        "organisation": organisation,
        "owner": owner.user,
        "member": member.user,
        "outsider": outsider.user,
        "kwargs": {
            "organisation_id": organisation.pk,
            "invitation_id": invitation.pk,
            "membership_id": colleague.pk,
            "system_id": system.pk,
            "show_id": manual_show.pk,
            "transmission_id": sent["transmission"].pk,
            "file_id": sent["file"].pk,
            "attachment_id": sent["attachment"].pk,
            "organism": "cnm",
            "kind": "pdf",
            "year": 2026,
            "quarter": 1,
        },
    }


def _sent_declaration(show, user) -> dict:
    """A failed SACD transmission with its XML, and an attachment, on the show."""
    declaration = Declaration.objects.create(show=show, organism="sacd", status="failed")
    transmission = Transmission.objects.create(
        declaration=declaration, version=1, snapshot="{}", status="failed", created_by=user
    )
    stored = TransmissionFile(transmission=transmission, name="d.xml", content_type="text/xml")
    stored.file.save("d.xml", ContentFile(b"<Declaration/>"), save=True)
    attachment = Attachment(show=show, name="contrat.pdf", content_type="application/pdf", size=8)
    attachment.file.save("contrat.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return {"transmission": transmission, "file": stored, "attachment": attachment}


def _url(name: str, kwargs: dict) -> str:
    pattern = organisation_patterns()[name]
    wanted = pattern.pattern.regex.groupindex
    return reverse(name, kwargs={key: value for key, value in kwargs.items() if key in wanted})


CASES = [(name, method, visitor) for (name, method) in ACCESS for visitor in VISITORS]


@pytest.mark.parametrize(
    ("name", "method", "visitor"), CASES, ids=[f"{n}-{m}-{v}" for n, m, v in CASES]
)
def test_access(client, team, name, method, visitor):
    role, data, allowed_status = ACCESS[(name, method)]
    url = _url(name, team["kwargs"])
    if visitor != "anonymous":
        client.force_login(team[visitor])
    send = client.get if method == "GET" else client.post
    response = send(url, data or {})
    response.close()  # a file download holds its file open until then
    if visitor == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
    elif visitor == "outsider":
        assert response.status_code == 404
    elif visitor == "member" and role == OWNER:
        assert response.status_code == 403
    else:
        assert response.status_code == allowed_status, response.content[:2000]


@pytest.mark.parametrize(("name", "method"), list(ACCESS), ids=[f"{n}-{m}" for n, m in ACCESS])
def test_an_organisation_that_does_not_exist_answers_404(client, team, name, method):
    client.force_login(team["owner"])
    kwargs = {**team["kwargs"], "organisation_id": team["organisation"].pk + 1000}
    send = client.get if method == "GET" else client.post
    assert send(_url(name, kwargs)).status_code == 404


def test_an_owner_cannot_act_on_another_organisations_rows(client, team):
    """Ids of invitations and members are looked up inside the organisation of the URL."""
    foreign = MembershipFactory(role=Role.MEMBER)
    foreign_invitation = Invitation.objects.create(
        organisation=foreign.organisation,
        email="x@exemple.fr",
        expires_at=foreign.created_at,
        nonce="n",
    )
    client.force_login(team["owner"])
    organisation_id = team["organisation"].pk
    client.post(
        reverse("organisations:member_role", args=[organisation_id, foreign.pk]), {"role": "owner"}
    )
    client.post(reverse("organisations:member_remove", args=[organisation_id, foreign.pk]))
    client.post(
        reverse("organisations:invitation_revoke", args=[organisation_id, foreign_invitation.pk])
    )
    foreign.refresh_from_db()
    foreign_invitation.refresh_from_db()
    assert foreign.role == Role.MEMBER
    assert Membership.objects.filter(pk=foreign.pk).exists()
    assert foreign_invitation.revoked_at is None


def test_matrix_size():
    assert len(CASES) == len(ACCESS) * len(VISITORS) == 172


@pytest.mark.parametrize("name", sorted({name for name, _ in ACCESS}))
def test_a_member_using_an_unusual_method_gets_403(client, team, name):
    """The member's methods are an allowlist: PROPFIND, PUT… are reserved to owners."""
    client.force_login(team["member"])
    response = client.generic("PROPFIND", _url(name, team["kwargs"]))
    assert response.status_code == 403
