import pytest
from django.urls import reverse

from notifications.models import OutgoingEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails():
    return [
        OutgoingEmail.objects.create(
            from_email="noreply@example.org",
            to=["camille@example.org"],
            subject="Confirmez votre inscription",
            status=OutgoingEmail.Status.SENT,
        ),
        OutgoingEmail.objects.create(
            from_email="noreply@example.org",
            to=["agence@sacem.fr"],
            subject="Nouvelle déclaration SACEM",
            status=OutgoingEmail.Status.FAILED,
        ),
    ]


def test_changelist_search_and_filter(admin_client, emails):
    url = reverse("admin:notifications_outgoingemail_changelist")

    response = admin_client.get(url, {"q": "CAMILLE@"})
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == [emails[0]]

    response = admin_client.get(url, {"q": "sacem"})
    assert list(response.context["cl"].queryset) == [emails[1]]

    response = admin_client.get(url, {"status__exact": "failed"})
    assert list(response.context["cl"].queryset) == [emails[1]]


def test_admin_is_read_only(admin_client, emails):
    assert admin_client.get(reverse("admin:notifications_outgoingemail_add")).status_code == 403
    response = admin_client.get(
        reverse("admin:notifications_outgoingemail_change", args=[emails[0].pk])
    )
    assert response.status_code == 200
    assert b'name="subject"' not in response.content


def test_retry_action(admin_client, emails):
    response = admin_client.post(
        reverse("admin:notifications_outgoingemail_changelist"),
        {"action": "retry", "_selected_action": [e.pk for e in emails]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 e-mail(s) remis en file d&#x27;envoi." in response.content.decode()
    statuses = dict(OutgoingEmail.objects.values_list("pk", "status"))
    assert statuses == {emails[0].pk: "sent", emails[1].pk: "sent"}


def test_only_superusers_read_email_bodies(client, admin_client, emails):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_outgoingemail"))
    client.force_login(staff)
    emails[0].body_text = "Lien secret : https://exemple/compte/mot-de-passe-oublie/MQ/abc-123/"
    emails[0].save()
    url = reverse("admin:notifications_outgoingemail_change", args=[emails[0].pk])
    staff_page = client.get(url).content.decode()
    assert "Confirmez votre inscription" in staff_page and "Lien secret" not in staff_page
    assert "Lien secret" in admin_client.get(url).content.decode()
