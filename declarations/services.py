"""Saving the declaration form, opening a correction, CNM/ASTP marked as declared,
attachments and the SIBIL account."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.company_directory import DirectoryUnavailable, company_by_siren
from accounts.models import Organisation
from declarations.choices import Organism
from declarations.forms import TICKETING_FIELDS, ShowDetailsForm
from declarations.models import (
    Attachment,
    Declaration,
    DeclarationStatus,
    ShowDetails,
    SibilAccount,
)
from declarations.uploads import attachment_check
from ticketing.connectors.base import Credentials
from ticketing.credentials import credentials_encrypt
from ticketing.models import Performance, Show

# At most this many attachments per show (an e-mail carries them all).
MAX_ATTACHMENTS = 20


def declaration_editable(show: Show, details: ShowDetails) -> bool:
    """Open until something was sent, then again while a correction is prepared; never while
    a sending runs."""
    if any(d.status == DeclarationStatus.SENDING for d in show.declarations.all()):
        return False
    return show.frozen_at is None or details.correcting


def declaration_save(
    show: Show, form: ShowDetailsForm, formset, user: AbstractBaseUser
) -> ShowDetails:
    """Saves the valid form and performance forms; a performance whose ticketing figures were
    edited is marked so that the sync keeps them."""
    details = form.save(commit=False)
    if details.producer_siren and not details.producer_name:
        details.producer_name = _company_name(details.producer_siren)
    now = timezone.now()
    details.updated_at = now
    details.updated_by = user
    edited: list[Performance] = []  # ticketing figures changed by the user
    others: list[Performance] = []  # only what the sync never writes
    fields: set[str] = set()
    for performance_form in formset.forms:
        if not performance_form.has_changed():
            continue
        performance = performance_form.save(commit=False)
        fields.update(name for name in performance_form.fields if name != "id")
        if performance_form.ticketing_changed:
            performance.user_edited_at = now
            edited.append(performance)
        else:
            others.append(performance)
    with transaction.atomic():
        details.save()
        if edited:
            Performance.objects.bulk_update(edited, sorted(fields | {"user_edited_at"}))
        if others:  # figures a sync wrote since the page was shown are not overwritten
            Performance.objects.bulk_update(others, sorted(fields - set(TICKETING_FIELDS)))
    return details


def _company_name(siren: str) -> str:
    try:
        company = company_by_siren(siren)
    except DirectoryUnavailable:
        return ""
    return company.name if company else ""


def correction_open(show: Show, details: ShowDetails) -> None:
    details.correcting = True
    details.save(update_fields=["correcting"])


def manual_declaration_mark(
    show: Show, organism: str, *, declared_on: date, reference: str
) -> Declaration:
    """CNM and ASTP: the user declared on the organism's portal."""
    if organism not in (Organism.CNM, Organism.ASTP):
        raise ValueError(organism)
    declaration, _ = Declaration.objects.get_or_create(show=show, organism=organism)
    declaration.status = DeclarationStatus.DECLARED
    declaration.declared_on = declared_on
    declaration.reference = reference.strip()
    declaration.updated_at = timezone.now()
    declaration.save()
    return declaration


def attachment_add(
    show: Show, *, name: str, data: bytes, kind: str, user: AbstractBaseUser
) -> Attachment:
    """Stores an attachment checked by content; raises `UploadRefused` with the reason."""
    checked = attachment_check(name, data)
    attachment = Attachment(
        show=show,
        kind=kind,
        name=checked.name,
        content_type=checked.content_type,
        size=len(data),
        uploaded_by=user,
    )
    attachment.file.save(checked.name, ContentFile(data), save=False)
    attachment.save()
    return attachment


def sibil_account_save(organisation: Organisation, username: str, password: str) -> SibilAccount:
    account, _ = SibilAccount.objects.update_or_create(
        organisation=organisation,
        defaults={
            "username": username.strip(),
            "credentials_encrypted": credentials_encrypt(
                Credentials(access_key=username.strip(), secret_key=password)
            ),
            "updated_at": timezone.now(),
        },
    )
    return account
