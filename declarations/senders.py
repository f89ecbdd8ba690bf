"""What sending to each organism consists of, step by step (see `transmission.Run`)."""

import json

from declarations import agencies, documents
from declarations.checks import SACD_ATTACHMENT_KINDS
from declarations.choices import Organism
from declarations.clients.sacd import SacdClient, SacdError
from declarations.clients.sibil import SibilClient
from declarations.models import SibilAccount
from declarations.sacd_xml import sacd_xml
from declarations.sibil import SibilError, domain_for, sibil_declarations, sibil_json
from declarations.transmission import Run, StepFailed
from notifications.emails import templated_email_queue
from ticketing.credentials import credentials_decrypt

PDF = "application/pdf"
JSON = "application/json"


def sacem_send(run: Run) -> None:
    snapshot = run.snapshot

    def document() -> dict:
        name = documents.document_filename("SACEM", snapshot, "pdf")
        run.file(name, documents.sacem_pdf(snapshot), PDF)
        return {"name": name}

    name = run.step("document", document, leaves=False)["name"]

    postal_code = snapshot.performances[0].venue.address.postal_code
    agency = agencies.sacem_agency_for(postal_code)
    if agency is None:
        raise StepFailed(f"Aucune délégation SACEM ne couvre le code postal {postal_code}.")
    pdf = run.transmission.files.get(name=name)
    with pdf.file.open("rb") as handle:
        attachments = [(name, handle.read(), PDF), *run.attachments()]
    _emails(run, "declaration_sacem", agency, attachments)


def sacd_send(run: Run) -> None:
    snapshot = run.snapshot

    def document() -> dict:
        name = documents.document_filename("SACD", snapshot, "xml")
        run.file(name, sacd_xml(snapshot).encode(), "application/xml")
        return {"name": name}

    name = run.step("document", document, leaves=False)["name"]
    if run.done("api") is None:
        xml = run.transmission.files.get(name=name)
        with xml.file.open("rb") as handle:
            payload = handle.read().decode()
        try:
            answer = SacdClient.from_settings().declare(payload)
        except SacdError as error:
            if error.maybe_received:  # freezes the show: only this very version may follow
                run.record("api-uncertain", {"error": error.message}, leaves=True)
            raise StepFailed(error.message, retriable=error.retriable) from error
        run.file("Réponse SACD.xml", answer.body.encode(), "application/xml", received=True)
        run.transmission.warnings = "\n".join(
            f"{item.reference} : {item.message or item.field}" for item in answer.warnings
        )
        numbers = {item.reference: item.number for item in answer.representations}
        if not answer.accepted and _received_before(run, answer):
            run.transmission.warnings = "\n".join(
                filter(
                    None,
                    [
                        run.transmission.warnings,
                        "La SACD avait déjà reçu cette version lors d'une tentative précédente "
                        "dont la réponse s'est perdue : elle n'a pas été déclarée deux fois.",
                    ],
                )
            )
        elif not answer.accepted:
            refusals = "; ".join(
                f"{item.reference} : {item.message or item.field}" for item in answer.refusals
            )
            run.transmission.save(update_fields=["warnings"])
            kept = {item.reference: item.number for item in answer.representations if item.number}
            if kept:  # SACD keeps those: the show is frozen, a correction is a new version
                run.record("api-partial", {"numbers": kept}, leaves=True)
                raise StepFailed(
                    f"La SACD a accepté {len(kept)} représentation(s) et en a refusé "
                    f"{len(answer.refusals)}. Préparez une correction pour envoyer une nouvelle "
                    f"version. Détail : {refusals}"
                )
            # Nothing was declared: nothing to freeze, the user corrects and sends again.
            raise StepFailed(
                "La SACD n'a pas accepté la déclaration. Corrigez les représentations "
                f"refusées puis renvoyez-la. Détail : {refusals}"
            )
        run.record("api", {"numbers": numbers, "sacd_date": answer.sacd_date}, leaves=True)
    attachments = run.attachments(SACD_ATTACHMENT_KINDS)
    if not attachments:
        return
    postal_code = snapshot.performances[0].venue.address.postal_code
    agency = agencies.sacd_agency_for(postal_code)
    if agency is None:
        raise StepFailed(f"Aucune délégation SACD ne couvre le code postal {postal_code}.")
    _emails(run, "declaration_sacd_attachments", agency, attachments)


def _received_before(run: Run, answer) -> bool:
    """On a retry, SACD refusing every representation as already declared in this version
    means the earlier attempt reached it (its answer was lost on the way back)."""
    return run.transmission.attempts > 1 and all(
        item.field == "rep_version" for item in answer.refusals
    )


def sibil_send(run: Run) -> None:
    snapshot = run.snapshot
    account = SibilAccount.objects.filter(organisation__siren=snapshot.organisation.siren).first()
    if account is None:
        raise StepFailed(
            "Enregistrez les identifiants techniques SIBIL de votre structure, puis réessayez."
        )
    credentials = credentials_decrypt(account.credentials_encrypted)
    try:
        with SibilClient.for_account(credentials.access_key, credentials.secret_key) as client:
            domain = domain_for(snapshot.show.performance_type, client.domains())
            bodies = sibil_declarations(snapshot, domain.id)
            payload = ("[\n" + ",\n".join(sibil_json(body) for body in bodies) + "\n]").encode()
            run.step(
                "document",
                lambda: {"name": run.file("Déclarations SIBIL.json", payload, JSON).name},
                leaves=False,
            )
            answers = []
            try:
                for body in bodies:  # one per performance: a resend updates it on SIBIL's side
                    name = f"sibil-{body['idExtBilletterie']}"
                    if run.done(name) is None:
                        answer = client.declare(body)
                        answers.append(answer.body)
                        run.record(name, {"id": answer.id, "version": answer.version}, leaves=True)
            finally:
                if answers:  # what SIBIL answered this time, kept with what was sent
                    text = json.dumps(answers, ensure_ascii=False, indent=1, default=str)
                    run.file("Réponses SIBIL.json", text.encode(), JSON, received=True)
    except SibilError as error:
        raise StepFailed(error.message, retriable=error.retriable) from error


# Attachments per e-mail, before encoding (which adds a third): mail servers commonly refuse
# messages over 10 to 20 MB, and a show may have many 5 MiB attachments.
EMAIL_ATTACHMENTS_MAX_BYTES = 7 * 1024 * 1024


def _emails(run: Run, template: str, agency, attachments: list) -> None:
    """The attachments to `agency`, in as many e-mails as their size needs ("email", then
    "email-2"…: each one a step, so a retry sends only those not sent yet)."""
    batches = _batches(attachments, EMAIL_ATTACHMENTS_MAX_BYTES)
    for index, batch in enumerate(batches, start=1):
        name = "email" if index == 1 else f"email-{index}"
        run.step(
            name,
            lambda batch=batch, index=index: _email(
                run, template, agency, batch, part=index, parts=len(batches)
            ),
            leaves=True,
        )


def _batches(attachments: list, limit: int) -> list[list]:
    batches: list[list] = []
    size = 0
    for item in attachments:
        if not batches or (batches[-1] and size + len(item[1]) > limit):
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += len(item[1])
    return batches or [[]]


def _email(run: Run, template: str, agency, attachments: list, *, part: int, parts: int) -> dict:
    """Queues one e-mail to `agency` and keeps what it was (not its attachments again)."""
    snapshot = run.snapshot
    email = templated_email_queue(
        to=[agency.email],
        template=template,
        context={
            "snapshot": snapshot,
            "attachment_count": len(attachments),
            "part": part,
            "parts": parts,
        },
        reply_to=[snapshot.declarant_email],
        attachments=attachments,
    )
    summary = {
        "to": agency.email,
        "subject": email.subject,
        "reply_to": snapshot.declarant_email,
        "attachments": [name for name, _, _ in attachments],
        "email_id": email.pk,
    }
    suffix = f" ({part} sur {parts})" if parts > 1 else ""
    run.file(
        f"E-mail envoyé à {agency.name}{suffix}.json",
        json.dumps(summary, ensure_ascii=False, indent=1).encode(),
        JSON,
    )
    return summary


SENDERS = {Organism.SACEM: sacem_send, Organism.SACD: sacd_send, Organism.SIBIL: sibil_send}
