"""Sending declarations end to end: the real tasks, the SACD and SIBIL sandboxes, the e-mail
pipeline; pre-flight checks that change nothing; retries that repeat nothing; corrections."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone
from django_q.models import Schedule

from declarations import agencies
from declarations.building import details_for, snapshot_build
from declarations.clients.sacd import SacdClient, SacdError
from declarations.models import (
    Declaration,
    DeclarationStatus,
    Transmission,
    TransmissionStatus,
)
from declarations.sacd_xml import sacd_xml
from declarations.services import attachment_add, correction_open, sibil_account_save
from declarations.transmission import (
    LOCK_NAMESPACE,
    NotReady,
    declaration_send,
    release_if_dead,
    transmission_retry,
    transmission_run,
)
from notifications.models import OutgoingEmail
from tests.declarations.fixtures import show_with_performances
from ticketing.sandbox import faults, sacd, sibil

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _clean_sandboxes():
    sacd.reset()
    sibil.reset()
    yield
    faults.clear()
    sacd.reset()
    sibil.reset()


@pytest.fixture
def ready():
    """A show ready for SACEM, SACD and SIBIL, with an artistic contract attached."""
    for kind in ("sacem", "sacd"):
        agencies.agencies_import(kind, agencies.sample_path(kind).read_text(encoding="utf-8"))
    membership, show = show_with_performances(2)
    details = details_for(show)
    details.organisms = ["sacem", "sacd", "sibil"]
    details.performance_type = "theatre"
    details.producer_siren, details.producer_name = "552100554", "Compagnie des Braises"
    details.venue_name, details.venue_street = "Salle des Lilas", "12 rue des Lilas"
    details.venue_postal_code, details.venue_city = "69004", "Lyon"
    details.venue_type, details.capacity = "THEATRE", 120
    details.expenses_excl_vat, details.expenses_incl_vat = Decimal("3000"), Decimal("3165")
    details.save()
    sibil_account_save(show.organisation, sibil.DEMO_USERNAME, sibil.DEMO_PASSWORD)
    attachment_add(
        show, name="contrat.pdf", data=PDF, kind="artistic_contract", user=membership.user
    )
    return membership.user, show


def only(show, *organisms: str) -> None:
    """The show is declared to these organisms alone."""
    details = show.details
    details.organisms = list(organisms)
    details.save()


def send(show, user, capture):
    with capture(execute=True):
        return declaration_send(show, user)


def by_organism(show) -> dict[str, Transmission]:
    return {
        t.declaration.organism: t
        for t in Transmission.objects.filter(declaration__show=show).select_related("declaration")
    }


def test_a_declaration_reaches_sacem_sacd_and_sibil(ready, django_capture_on_commit_callbacks):
    user, show = ready
    send(show, user, django_capture_on_commit_callbacks)
    sent = by_organism(show)
    assert {o: t.status for o, t in sent.items()} == dict.fromkeys(
        ["sacem", "sacd", "sibil"], TransmissionStatus.SUCCEEDED
    )
    assert set(Declaration.objects.values_list("status", flat=True)) == {DeclarationStatus.SENT}
    show.refresh_from_db()
    assert show.frozen_at is not None
    # SACD: one declaration of two representations, numbered, kept with what was sent.
    assert len(sacd.received) == 1
    assert len(sacd.received[0]["representations"]) == 2
    numbers = sent["sacd"].steps["api"]["numbers"]
    assert sorted(numbers.values()) == [str(sacd.FIRST_NUMBER), str(sacd.FIRST_NUMBER + 1)]
    assert {f.name for f in sent["sacd"].files.all()} >= {"Réponse SACD.xml"}
    # SIBIL: one declaration per performance, and its answers kept.
    assert len(sibil.stored(sibil.DEMO_USERNAME)) == 2
    assert sent["sibil"].files.filter(name="Réponses SIBIL.json", received=True).exists()
    # SACEM: the PDF and the contract to the Lyon delegation, reply-to the declarant; SACD's
    # delegation receives the contract.
    emails = {email.to[0]: email for email in OutgoingEmail.objects.all()}
    sacem_email = emails["delegation-lyon@sacem.example"]
    assert sacem_email.reply_to == [user.email]
    assert [a["filename"] for a in sacem_email.attachments][1:] == ["contrat.pdf"]
    assert sacem_email.attachments[0]["mimetype"] == "application/pdf"
    assert "delegation-lyon@sacd.example" in emails
    assert len(mail.outbox) == 2
    assert any(f.content_type == "application/pdf" for f in sent["sacem"].files.all())


def test_failed_checks_send_nothing_and_freeze_nothing(ready, django_capture_on_commit_callbacks):
    user, show = ready
    organisation = show.organisation
    organisation.sacd_id = ""
    organisation.save()
    details = show.details
    details.venue_postal_code = "99999"  # no SACEM delegation
    details.save()
    with pytest.raises(NotReady) as refusal:
        send(show, user, django_capture_on_commit_callbacks)
    messages = " ".join(problem.message for problem in refusal.value.problems)
    assert "identifiant déclarant SACD" in messages
    assert "Aucune délégation SACEM ne couvre le code postal 99999" in messages
    assert not Transmission.objects.exists() and not Declaration.objects.exists()
    show.refresh_from_db()
    assert show.frozen_at is None
    assert sacd.received == [] and OutgoingEmail.objects.count() == 0


def test_a_retry_after_a_crash_repeats_neither_the_sacd_call_nor_an_email(
    ready, django_capture_on_commit_callbacks, monkeypatch
):
    """The worker dies after SACD accepted the declaration, before the delegation's e-mail."""
    user, show = ready
    from declarations import senders

    queue = senders.templated_email_queue
    crashed = []

    def dies_before_the_sacd_email(**kwargs):
        if kwargs["template"] == "declaration_sacd_attachments" and not crashed:
            crashed.append(True)
            raise RuntimeError("worker killed")
        return queue(**kwargs)

    monkeypatch.setattr(senders, "templated_email_queue", dies_before_the_sacd_email)
    send(show, user, django_capture_on_commit_callbacks)
    failed = by_organism(show)["sacd"]
    assert failed.status == TransmissionStatus.FAILED
    assert "api" in failed.steps and "email" not in failed.steps
    show.refresh_from_db()
    assert show.frozen_at is not None  # the declaration left: the show is frozen
    with django_capture_on_commit_callbacks(execute=True):
        transmission_retry(failed)
    failed.refresh_from_db()
    assert failed.status == TransmissionStatus.SUCCEEDED
    assert failed.attempts == 2
    assert len(sacd.received) == 1  # not declared twice
    sacd_emails = OutgoingEmail.objects.filter(to=["delegation-lyon@sacd.example"])
    assert sacd_emails.count() == 1


def declare_directly(show, user):
    """The same declaration, sent to SACD outside the platform's record of it."""
    snapshot = snapshot_build(
        show,
        details_for(show),
        list(show.performances.all()),
        declarant_name="x",
        declarant_email=user.email,
    )
    return SacdClient.from_settings().declare(sacd_xml(snapshot))


def test_representations_refused_by_sacd_are_reported_and_freeze_nothing(
    ready, django_capture_on_commit_callbacks
):
    user, show = ready
    only(show, "sacd")
    assert declare_directly(show, user).accepted  # declared elsewhere already
    send(show, user, django_capture_on_commit_callbacks)
    transmission = by_organism(show)["sacd"]
    assert transmission.status == TransmissionStatus.FAILED
    assert "La SACD n'a pas accepté la déclaration" in transmission.error
    assert "déjà déclarée" in transmission.error
    show.refresh_from_db()
    assert show.frozen_at is None
    assert Declaration.objects.get().status == DeclarationStatus.FAILED


def test_an_answer_lost_after_sacd_kept_the_declaration_is_not_declared_twice(
    ready, django_capture_on_commit_callbacks, monkeypatch
):
    user, show = ready
    only(show, "sacd")
    declare = SacdClient.declare

    def answer_lost(self, xml):
        declare(self, xml)  # SACD records it...
        # ...and the answer never arrives.
        raise SacdError("Délai dépassé.", retriable=True, maybe_received=True)

    monkeypatch.setattr(SacdClient, "declare", answer_lost)
    send(show, user, django_capture_on_commit_callbacks)
    transmission = by_organism(show)["sacd"]
    assert transmission.status == TransmissionStatus.FAILED
    show.refresh_from_db()
    assert show.frozen_at is not None  # SACD may have it: no other figures in this version
    monkeypatch.setattr(SacdClient, "declare", declare)
    with django_capture_on_commit_callbacks(execute=True):
        transmission_retry(transmission)
    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.SUCCEEDED
    assert "avait déjà reçu cette version" in transmission.warnings
    assert len(sacd.received) == 2  # the second one refused as a duplicate, nothing more
    show.refresh_from_db()
    assert show.frozen_at is not None


def test_a_correction_sends_a_new_version(ready, django_capture_on_commit_callbacks):
    user, show = ready
    send(show, user, django_capture_on_commit_callbacks)
    show.refresh_from_db()
    details = details_for(show)
    correction_open(show, details)
    details.refresh_from_db()
    details.capacity = 150
    details.save()
    send(show, user, django_capture_on_commit_callbacks)
    versions = sorted(
        Transmission.objects.filter(declaration__organism="sacd").values_list("version", "status")
    )
    assert versions == [(1, "succeeded"), (2, "succeeded")]
    assert len(sacd.received) == 2
    assert "<rep_version>2</rep_version>" in sacd.received[1]["xml"]
    subjects = OutgoingEmail.objects.filter(to=["delegation-lyon@sacem.example"]).values_list(
        "subject", flat=True
    )
    assert any("corrigée (version 2)" in subject for subject in subjects)
    details.refresh_from_db()
    assert not details.correcting


def test_sibil_refusing_the_credentials_fails_with_what_to_do(
    ready, django_capture_on_commit_callbacks
):
    user, show = ready
    sibil_account_save(show.organisation, sibil.DEMO_USERNAME, "wrong")
    only(show, "sibil")
    send(show, user, django_capture_on_commit_callbacks)
    transmission = by_organism(show)["sibil"]
    assert transmission.status == TransmissionStatus.FAILED
    assert "identifiants techniques sont incorrects" in transmission.error
    show.refresh_from_db()
    assert show.frozen_at is None


def test_a_sending_left_running_by_a_dead_worker_is_taken_up_by_the_task_again(
    ready, django_capture_on_commit_callbacks
):
    user, show = ready
    only(show, "sacd")
    with django_capture_on_commit_callbacks(execute=False):  # queued, no worker yet
        (transmission,) = declaration_send(show, user)
    Transmission.objects.filter(pk=transmission.pk).update(status=TransmissionStatus.RUNNING)
    transmission_run(transmission.pk)  # django-q2 hands the task out again
    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.SUCCEEDED
    assert len(sacd.received) == 1


def test_a_transmission_another_worker_runs_is_left_alone(
    ready, django_capture_on_commit_callbacks
):
    user, show = ready
    only(show, "sacd")
    with django_capture_on_commit_callbacks(execute=False):
        (transmission,) = declaration_send(show, user)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, transmission.pk])
        transmission_run(transmission.pk)
    finally:
        other.close()
    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.PENDING
    assert sacd.received == []


def test_heavy_attachments_go_in_several_emails_each_sent_once(
    ready, django_capture_on_commit_callbacks
):
    user, show = ready
    only(show, "sacem")
    heavy = PDF + b"0" * (4 * 1024 * 1024)
    for index in range(3):
        attachment_add(show, name=f"programme-{index}.pdf", data=heavy, kind="other", user=user)
    send(show, user, django_capture_on_commit_callbacks)
    transmission = by_organism(show)["sacem"]
    assert transmission.status == TransmissionStatus.SUCCEEDED
    emails = OutgoingEmail.objects.filter(to=["delegation-lyon@sacem.example"]).order_by("pk")
    # The PDF, the contract and one programme; then one programme per e-mail (4 MiB each).
    assert [len(email.attachments) for email in emails] == [3, 1, 1]
    assert [email.subject.endswith(f"(envoi {n} sur 3)") for n, email in enumerate(emails, 1)] == [
        True
    ] * 3
    assert {"email", "email-2", "email-3"} <= set(transmission.steps)


def test_a_run_whose_worker_died_shows_as_failed_and_can_be_retried(
    ready, django_capture_on_commit_callbacks
):
    user, show = ready
    only(show, "sacd")
    with django_capture_on_commit_callbacks(execute=False):
        (transmission,) = declaration_send(show, user)
    Transmission.objects.filter(pk=transmission.pk).update(status=TransmissionStatus.RUNNING)
    transmission.refresh_from_db()
    assert release_if_dead(transmission)
    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.FAILED
    assert "interrompu" in transmission.error
    with django_capture_on_commit_callbacks(execute=True):
        transmission_retry(transmission)
    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.SUCCEEDED


def test_a_correction_after_a_partly_accepted_sending_is_a_new_version(
    ready, django_capture_on_commit_callbacks
):
    user, show = ready
    only(show, "sacd")
    first = show.performances.order_by("starts_at").first()
    # Declared elsewhere already: SACD refuses this one and accepts the other.
    snapshot = snapshot_build(
        show, details_for(show), [first], declarant_name="x", declarant_email=user.email
    )
    assert SacdClient.from_settings().declare(sacd_xml(snapshot)).accepted
    send(show, user, django_capture_on_commit_callbacks)
    transmission = by_organism(show)["sacd"]
    assert transmission.status == TransmissionStatus.FAILED
    assert "a accepté 1 représentation(s)" in transmission.error
    show.refresh_from_db()
    assert show.frozen_at is not None  # one representation is declared
    correction_open(show, details_for(show))
    send(show, user, django_capture_on_commit_callbacks)
    latest = Transmission.objects.filter(declaration__organism="sacd").order_by("-version")[0]
    assert (latest.version, latest.status) == (2, TransmissionStatus.SUCCEEDED)


def test_a_transient_failure_is_tried_again_automatically(
    ready, django_capture_on_commit_callbacks
):
    user, show = ready
    only(show, "sacd")
    with faults.inject("sacd", faults.Fault.UNAVAILABLE):
        send(show, user, django_capture_on_commit_callbacks)
    transmission = by_organism(show)["sacd"]
    assert transmission.status == TransmissionStatus.FAILED
    assert "Nouvel essai automatique vers" in transmission.error
    (scheduled,) = Schedule.objects.filter(func="declarations.tasks.transmission_run")
    assert scheduled.schedule_type == Schedule.ONCE
    assert timezone.now() + timedelta(minutes=4) < scheduled.next_run
    transmission_run(transmission.pk)  # what the cluster runs at that time
    transmission.refresh_from_db()
    assert transmission.status == TransmissionStatus.SUCCEEDED
    assert len(sacd.received) == 1


def test_a_permanent_failure_is_not_retried_automatically(
    ready, django_capture_on_commit_callbacks
):
    user, show = ready
    show.organisation.sacd_id = "7654321"  # unknown to SACD
    show.organisation.save()
    only(show, "sacd")
    send(show, user, django_capture_on_commit_callbacks)
    transmission = by_organism(show)["sacd"]
    assert transmission.status == TransmissionStatus.FAILED
    assert "télétransmission" in transmission.error
    assert not Schedule.objects.exists()
