"""Sending declarations: one transmission per organism and version, run by a task in steps.

A step that succeeded is recorded at once (`Transmission.steps`) and never run again, so a retry
after a crash or an outage repeats nothing that an organism already received: the SACD web
service call, each SIBIL performance, each e-mail (queued in the same transaction that records
it). The show is frozen as soon as a step made something leave the platform.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from declarations.building import details_for, snapshot_build
from declarations.checks import Problem, preflight
from declarations.choices import Organism
from declarations.models import (
    Attachment,
    Declaration,
    DeclarationStatus,
    SibilAccount,
    Transmission,
    TransmissionFile,
    TransmissionStatus,
)
from declarations.snapshot import DeclarationSnapshot
from ticketing.models import Show

logger = logging.getLogger(__name__)

# The organisms the platform sends to; CNM and ASTP are declared by the user on their portals.
SENT_BY_US = (Organism.SIBIL, Organism.SACD, Organism.SACEM)  # the likeliest to fail first
RUN_TASK = "declarations.tasks.transmission_run"
LOCK_NAMESPACE = 7312  # first key of pg_advisory_lock(int, int): "declaration transmission"
RUN_TIMEOUT_SECONDS = 3600


class NotReady(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


class StepFailed(Exception):
    """A step could not be done; `message` (French) is shown to the user."""

    def __init__(self, message: str, *, retriable: bool = False):
        super().__init__(message)
        self.message = message
        self.retriable = retriable


@dataclass(frozen=True)
class Sending:
    organisms: list[str]  # those that will be sent now
    corrections: list[str]  # among them, those already sent: a new version


def sending_plan(show: Show) -> Sending:
    details = details_for(show)
    declarations = {d.organism: d for d in show.declarations.all()}
    organisms, corrections = [], []
    for organism in SENT_BY_US:
        if organism not in details.organisms:
            continue
        declaration = declarations.get(organism)
        status = declaration.status if declaration else DeclarationStatus.DRAFT
        if status == DeclarationStatus.SENDING:
            continue
        if status == DeclarationStatus.SENT and not details.correcting:
            continue
        # What already reached the organism (sent, or failed after part of it left) is
        # corrected by a new version; the rest is sent, or sent again, in the same version.
        if details.correcting and (status == DeclarationStatus.SENT or _version_left(declaration)):
            corrections.append(organism)
        organisms.append(organism)
    return Sending(organisms, corrections)


def _version_left(declaration: Declaration | None) -> bool:
    if declaration is None:
        return False
    latest = declaration.transmissions.filter(version=declaration.version).first()
    return latest is not None and _left(latest)


def show_problems(show: Show, organisms: list[str]) -> list[Problem]:
    details = details_for(show)
    snapshot = snapshot_build(
        show, details, list(show.performances.all()), declarant_name="", declarant_email=""
    )
    return preflight(
        snapshot,
        organisms,
        attachment_kinds=set(show.attachments.values_list("kind", flat=True)),
        has_sibil_account=SibilAccount.objects.filter(
            organisation_id=show.organisation_id
        ).exists(),
    )


def declaration_send(show: Show, user: AbstractBaseUser) -> list[Transmission]:
    """Checks, then records one transmission per organism to send and enqueues them. Raises
    `NotReady` (and changes nothing) when a check fails."""
    with transaction.atomic():
        show = Show.objects.select_for_update().select_related("organisation").get(pk=show.pk)
        plan = sending_plan(show)
        problems = show_problems(show, plan.organisms)
        if not plan.organisms or problems:
            raise NotReady(problems or [Problem("", "Rien à envoyer.", "organisms")])
        details = details_for(show)
        performances = list(show.performances.all())
        transmissions = []
        for organism in plan.organisms:
            declaration, _ = Declaration.objects.get_or_create(show=show, organism=organism)
            if organism in plan.corrections:
                declaration.version += 1
            snapshot = snapshot_build(
                show,
                details,
                performances,
                declarant_name=user.get_full_name() or user.email,
                declarant_email=user.email,
                version=declaration.version,
            )
            transmissions.append(_transmission_for(declaration, snapshot, user))
            declaration.status = DeclarationStatus.SENDING
            declaration.last_error = ""
            declaration.updated_at = timezone.now()
            declaration.save()
        if details.correcting:
            details.correcting = False
            details.save(update_fields=["correcting"])
        for item in transmissions:
            transaction.on_commit(lambda pk=item.pk: _enqueue(pk))
    return transmissions


def _transmission_for(
    declaration: Declaration, snapshot: DeclarationSnapshot, user: AbstractBaseUser
) -> Transmission:
    """The transmission of this version: a new one, or the earlier attempt of the same version
    when nothing of it left (it is sent with the new data) — one that partly left is resumed
    as it was, so that an organism never receives two different contents for one version."""
    existing = (
        declaration.transmissions.select_for_update().filter(version=declaration.version).first()
    )
    if existing is None:
        return Transmission.objects.create(
            declaration=declaration,
            version=declaration.version,
            snapshot=snapshot.to_json(),
            created_by=user,
        )
    if not _left(existing):
        existing.snapshot = snapshot.to_json()
        existing.steps = {}
        existing.attempts = 0  # a refusal of this version now would not be an earlier attempt's
        for stored in existing.files.all():
            stored.file.delete(save=False)
            stored.delete()
    existing.status = TransmissionStatus.PENDING
    existing.error = ""
    existing.save()
    return existing


def transmission_retry(transmission: Transmission) -> None:
    """Runs a failed transmission again, from the step where it stopped, with its data."""
    with transaction.atomic():
        # The show first, as `declaration_send` does: a retry and a sending never interleave.
        Show.objects.select_for_update().filter(declarations__transmissions=transmission).first()
        transmission = Transmission.objects.select_for_update().get(pk=transmission.pk)
        if transmission.status != TransmissionStatus.FAILED:
            return
        transmission.status = TransmissionStatus.PENDING
        transmission.error = ""
        transmission.save(update_fields=["status", "error"])
        Declaration.objects.filter(pk=transmission.declaration_id).update(
            status=DeclarationStatus.SENDING, last_error=""
        )
        transaction.on_commit(lambda: _enqueue(transmission.pk))


def _enqueue(transmission_id: int) -> None:
    # A long tour sent to SIBIL makes one call per performance: more than the default timeout.
    async_task(RUN_TASK, transmission_id, q_options={"timeout": RUN_TIMEOUT_SECONDS})


def release_if_dead(transmission: Transmission) -> bool:
    """A transmission "running" whose lock nobody holds lost its worker: it becomes failed, so
    that the user can retry it (from the step where it stopped). True when it did."""
    if transmission.status != TransmissionStatus.RUNNING:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, transmission.pk])
        if not cursor.fetchone()[0]:
            return False  # a worker is on it
        try:
            transmission.refresh_from_db()
            if transmission.status != TransmissionStatus.RUNNING:
                return False
            _finish(
                transmission,
                "L'envoi a été interrompu (arrêt du serveur). Réessayez : ce qui est déjà parti "
                "ne sera pas renvoyé.",
            )
            return True
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, transmission.pk])


def _left(transmission: Transmission) -> bool:
    return any(step.get("left") for step in transmission.steps.values())


# --- Running -----------------------------------------------------------------------------------


def transmission_run(transmission_id: int) -> None:
    """Runs the steps not done yet; records success or the error shown to the user. An advisory
    lock keeps two workers off one transmission; a run left "running" by a dead worker is
    taken up again when django-q2 hands its task out once more."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, transmission_id])
        if not cursor.fetchone()[0]:
            return  # another worker is running it
    try:
        _run(transmission_id)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, transmission_id])


def _run(transmission_id: int) -> None:
    from declarations import senders  # the organisms' steps (imports documents and clients)

    with transaction.atomic():
        transmission = (
            Transmission.objects.select_for_update()
            .select_related("declaration__show")
            .filter(pk=transmission_id)
            .first()
        )
        if transmission is None or transmission.status == TransmissionStatus.SUCCEEDED:
            return
        transmission.status = TransmissionStatus.RUNNING
        transmission.attempts += 1
        transmission.save(update_fields=["status", "attempts"])
    organism = transmission.declaration.organism
    try:
        snapshot = DeclarationSnapshot.from_json(transmission.snapshot)
        senders.SENDERS[organism](Run(transmission, snapshot))
    except StepFailed as failure:
        _finish(transmission, failure.message + _automatic_retry(transmission, failure))
    except Exception:
        logger.exception("Transmission %s failed unexpectedly", transmission.pk)
        _finish(
            transmission,
            "Une erreur inattendue a interrompu l'envoi. Notre équipe est prévenue ; vous "
            "pouvez réessayer : ce qui est déjà parti ne sera pas renvoyé.",
        )
    else:
        _finish(transmission, "")


# A failure that may pass by itself (timeout, organism down or overloaded) is tried again
# automatically after these delays; then the user's "Réessayer" remains.
AUTOMATIC_RETRY_DELAYS = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))


def _automatic_retry(transmission: Transmission, failure: StepFailed) -> str:
    """Schedules the next automatic attempt when the failure is transient; the sentence that
    tells the user, or ""."""
    automatic = transmission.attempts - 1  # attempts so far, the first one excluded
    if not failure.retriable or automatic >= len(AUTOMATIC_RETRY_DELAYS):
        return ""
    next_run = timezone.now() + AUTOMATIC_RETRY_DELAYS[automatic]
    Schedule.objects.create(
        name=f"transmission-{transmission.pk}-{transmission.attempts}",
        func=RUN_TASK,
        args=repr((transmission.pk,)),
        schedule_type=Schedule.ONCE,
        next_run=next_run,
        repeats=1,
    )
    at = timezone.localtime(next_run).strftime("%H:%M")
    return f" Nouvel essai automatique vers {at} ; vous pouvez aussi réessayer dès maintenant."


def _finish(transmission: Transmission, error: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        transmission.status = TransmissionStatus.FAILED if error else TransmissionStatus.SUCCEEDED
        transmission.error = error
        transmission.finished_at = now
        transmission.save(update_fields=["status", "error", "finished_at", "warnings"])
        declaration = transmission.declaration
        declaration.status = DeclarationStatus.FAILED if error else DeclarationStatus.SENT
        declaration.last_error = error
        declaration.updated_at = now
        if not error:
            declaration.sent_at = now
        declaration.save()


class Run:
    """A transmission being run: its snapshot, and how its steps are recorded."""

    def __init__(self, transmission: Transmission, snapshot: DeclarationSnapshot):
        self.transmission = transmission
        self.snapshot = snapshot

    def done(self, name: str) -> dict | None:
        return self.transmission.steps.get(name)

    def step(self, name: str, action: Callable[[], dict], *, leaves: bool) -> dict:
        """`action`'s result, recorded once; `leaves` says it sends something to an organism.
        The action runs inside the recording transaction, so what it writes (a queued e-mail,
        a stored file) is kept only with the record."""
        done = self.done(name)
        if done is not None:
            return done
        with transaction.atomic():
            result = {**action(), "done_at": timezone.now().isoformat(), "left": leaves}
            self.transmission.steps = {**self.transmission.steps, name: result}
            self.transmission.save(update_fields=["steps", "warnings"])
            if leaves:
                Show.objects.filter(pk=self.snapshot.show.id, frozen_at__isnull=True).update(
                    frozen_at=timezone.now()
                )
        return result

    def record(self, name: str, result: dict, *, leaves: bool) -> dict:
        """Records a step whose action already ran outside (a web service call): recorded
        right after the answer, so a retry does not call again."""
        return self.step(name, lambda: result, leaves=leaves)

    def file(self, name: str, content: bytes, content_type: str, *, received: bool = False):
        stored = TransmissionFile(
            transmission=self.transmission,
            name=name,
            content_type=content_type,
            received=received,
        )
        stored.file.save(name, ContentFile(content), save=False)
        stored.save()
        return stored

    def attachments(self, kinds: set[str] | None = None) -> list[tuple[str, bytes, str]]:
        items = Attachment.objects.filter(show_id=self.snapshot.show.id).order_by("uploaded_at")
        if kinds is not None:
            items = items.filter(kind__in=kinds)
        result = []
        for item in items:
            with item.file.open("rb") as handle:
                result.append((item.name, handle.read(), item.content_type))
        return result
