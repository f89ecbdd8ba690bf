"""Client of the SIBIL web service (API v2 of the Ministry of Culture, a JHipster backend).

Each organisation logs in with its own SIBIL technical account: `authenticate()` exchanges it
for a bearer token, kept for the client's life (SIBIL has no logout) and renewed once when
SIBIL answers 401. Every failure raises `SibilError`, whose French `message` says what to do
and whose `retriable` tells a task whether trying again later may help. The password and the
token are never logged, nor put in a message.

Usage: `with SibilClient.for_account(username, password) as sibil: sibil.declare(body)`.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from django.conf import settings

from config.http import http_client
from declarations.sibil import PARIS, SibilDomain, SibilError, sibil_json

__all__ = ["SibilAnswer", "SibilClient", "SibilDomain", "SibilError"]

logger = logging.getLogger(__name__)

AUTHENTICATE = "/api/v2/authenticate"
VENUE_TYPES = "/api/v2/lieux/types"
DOMAINS = "/api/v2/domaine-representations"
DECLARATIONS = "/api/v2/declarations"
AUTHENTICATED = "AUTHENTICATED"
# SIBIL has no error codes: its refusals are recognised by their title.
DUPLICATE_TITLE = "une déclaration existe déjà dans la base de données sibil"

NOT_CONFIGURED = (
    "La télétransmission SIBIL n'est pas configurée sur cette plateforme : déclarez ce spectacle "
    "directement sur SIBIL (le fichier trimestriel vous donne les chiffres à saisir) et "
    "signalez-le à l'équipe de la plateforme."
)
WRONG_CREDENTIALS = (
    "SIBIL indique que vos identifiants techniques sont incorrects : mettez-les à jour dans les "
    "paramètres de votre structure, puis relancez l'envoi."
)
SESSION_REFUSED = (
    "SIBIL a refusé la session ouverte avec vos identifiants techniques : vérifiez-les dans les "
    "paramètres de votre structure, puis relancez l'envoi."
)
FORBIDDEN = (
    "SIBIL refuse cette opération à votre compte technique : vérifiez auprès de SIBIL que ce "
    "compte peut déclarer pour votre structure, puis relancez l'envoi."
)
TIMEOUT = (
    "SIBIL n'a pas répondu à temps. Rien n'a été perdu : relancez l'envoi dans quelques minutes."
)
UNREACHABLE = "Impossible de joindre SIBIL pour le moment : relancez l'envoi dans quelques minutes."
RATE_LIMITED = (
    "SIBIL reçoit trop de demandes en ce moment : relancez l'envoi dans quelques minutes."
)
SERVER_ERROR = (
    "SIBIL rencontre une difficulté de son côté (erreur {status}){said} : relancez l'envoi dans "
    "quelques minutes."
)
UNREADABLE = (
    "La réponse de SIBIL est illisible. Relancez l'envoi dans quelques minutes : une déclaration "
    "déjà reçue par SIBIL sera mise à jour, jamais dupliquée."
)
UNEXPECTED = (
    "SIBIL a répondu de façon inattendue (erreur {status}). Relancez l'envoi plus tard ; si "
    "l'erreur persiste, signalez-la à l'équipe de la plateforme."
)
REFUSED = (
    "SIBIL a refusé la déclaration : « {title} ». Corrigez ce point dans le formulaire de "
    "déclaration, puis relancez l'envoi."
)
DUPLICATE = (
    "SIBIL contient déjà une autre déclaration du spectacle « {show} » pour la représentation "
    "du {when}, sans doute saisie directement sur SIBIL, et refuse donc celle-ci comme doublon "
    "(réponse de SIBIL : « {title} »). Si la déclaration saisie sur SIBIL est juste, il n'y a "
    "rien d'autre à faire pour cette représentation ; sinon supprimez-la sur SIBIL, puis "
    "relancez l'envoi."
)


@dataclass(frozen=True)
class SibilAnswer:
    """SIBIL's record of a declaration, as it answered."""

    id: int
    external_id: str  # idExtBilletterie
    version: int
    status: str  # statutDeclaration
    body: dict[str, Any]  # the whole answer


class SibilClient:
    def __init__(
        self, base_url: str, username: str, password: str, *, timeout: float | None = None
    ):
        if not base_url:
            raise SibilError(NOT_CONFIGURED)
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self._token: str | None = None
        self._client = http_client(
            timeout=timeout or settings.DECLARATIONS_API_TIMEOUT_SECONDS,
            headers={"Accept": "application/json"},
        )

    @classmethod
    def for_account(cls, username: str, password: str) -> "SibilClient":
        """A client of the SIBIL configured on this platform (`SIBIL_API_BASE_URL`)."""
        return cls(settings.SIBIL_API_BASE_URL, username, password)

    def __repr__(self) -> str:
        return f"<SibilClient {self.base_url} as {self.username!r}>"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "SibilClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- API ------------------------------------------------------------------------------------

    def authenticate(self) -> None:
        """Logs in; raises SibilError (not retriable) when SIBIL refuses the credentials."""
        self._token = None
        response = self._send(
            "POST", AUTHENTICATE, json={"username": self.username, "password": self._password}
        )
        if response.status_code not in (200, 401):
            raise _error(response)
        try:
            data = response.json()
        except ValueError:
            if response.status_code == 401:
                raise SibilError(WRONG_CREDENTIALS, status=401) from None
            raise SibilError(UNREADABLE, retriable=True, status=response.status_code) from None
        if not isinstance(data, dict):
            raise SibilError(UNREADABLE, retriable=True, status=response.status_code)
        token = data.get("id_token")
        if data.get("typeError") != AUTHENTICATED or not token or not isinstance(token, str):
            logger.info("SIBIL refused the technical account (HTTP %s).", response.status_code)
            raise SibilError(WRONG_CREDENTIALS, status=response.status_code)
        self._token = token

    def venue_types(self) -> list[tuple[str, str]]:
        """SIBIL's venue types as (code, label): the connection test of an account."""
        data = self._json(self._call("GET", VENUE_TYPES))
        try:
            return [(str(item["code"]), str(item["value"])) for item in data]
        except (TypeError, KeyError) as error:
            raise SibilError(UNREADABLE, retriable=True) from error

    def domains(self) -> list[SibilDomain]:
        """SIBIL's active performance domains, in SIBIL's order."""
        response = self._call("GET", DOMAINS, params={"sansPagination": "true"})
        try:
            return [
                SibilDomain(id=int(item["id"]), label=str(item["libelle"]), active=True)
                for item in self._json(response)
                if item.get("actif") is True
            ]
        except (TypeError, KeyError, ValueError, AttributeError) as error:
            raise SibilError(UNREADABLE, retriable=True) from error

    def declare(self, body: dict[str, Any]) -> SibilAnswer:
        """Creates the declaration, or updates the one with the same `idExtBilletterie`."""
        response = self._call(
            "POST",
            DECLARATIONS,
            content=sibil_json(body).encode(),
            headers={"Content-Type": "application/json"},
            declaration=body,
        )
        data = self._json(response)
        try:
            return SibilAnswer(
                id=int(data["id"]),
                external_id=str(data["idExtBilletterie"]),
                version=int(data.get("version") or 1),
                status=str(data.get("statutDeclaration") or ""),
                body=data,
            )
        except (TypeError, KeyError, ValueError) as error:
            raise SibilError(UNREADABLE, retriable=True) from error

    # --- HTTP -----------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        declaration: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """An authenticated request; a 401 renews the token once (it may have expired)."""
        if self._token is None:
            self.authenticate()
        response = self._send(method, path, bearer=True, **kwargs)
        if response.status_code == 401:
            self.authenticate()
            response = self._send(method, path, bearer=True, **kwargs)
            if response.status_code == 401:
                raise SibilError(SESSION_REFUSED, status=401)
        if response.status_code not in (200, 201):
            raise _error(response, declaration)
        return response

    def _send(
        self,
        method: str,
        path: str,
        *,
        bearer: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(headers or {})
        if bearer and self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self._client.request(
                method, f"{self.base_url}{path}", headers=headers, **kwargs
            )
        except httpx.TimeoutException as error:
            logger.warning("SIBIL %s %s: timeout (%s).", method, path, type(error).__name__)
            raise SibilError(TIMEOUT, retriable=True) from error
        except httpx.HTTPError as error:
            logger.warning("SIBIL %s %s: %s.", method, path, type(error).__name__)
            raise SibilError(UNREACHABLE, retriable=True) from error
        if response.status_code >= 400:
            logger.warning("SIBIL %s %s answered HTTP %s.", method, path, response.status_code)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as error:
            logger.warning("SIBIL answered unreadable JSON (HTTP %s).", response.status_code)
            raise SibilError(UNREADABLE, retriable=True, status=response.status_code) from error


def _error(response: httpx.Response, declaration: dict[str, Any] | None = None) -> SibilError:
    """The SibilError of a refusal or failure, SIBIL's problem title kept in the message."""
    status = response.status_code
    title = _problem_title(response)
    said = f" (réponse de SIBIL : « {title} »)" if title else ""
    if status == 429:
        return SibilError(
            RATE_LIMITED, retriable=True, status=status, retry_after=_retry_after(response)
        )
    if status >= 500:
        return SibilError(
            SERVER_ERROR.format(status=status, said=said),
            retriable=True,
            status=status,
            retry_after=_retry_after(response),
        )
    if status == 403:
        return SibilError(FORBIDDEN + said, status=status)
    if status == 400 and title:
        if declaration is not None and DUPLICATE_TITLE in title.casefold():
            return SibilError(_duplicate(title, declaration), status=status)
        return SibilError(REFUSED.format(title=title), status=status)
    return SibilError(UNEXPECTED.format(status=status) + said, status=status)


def _duplicate(title: str, declaration: dict[str, Any]) -> str:
    show = (declaration.get("spectacleChamps") or {}).get("critere1", "")
    when = declaration.get("dateHeureRepresentationUnique", "")
    try:
        local = datetime.fromisoformat(when).astimezone(PARIS)
        when = f"{local:%d/%m/%Y} à {local:%H:%M}"
    except (TypeError, ValueError):
        pass
    return DUPLICATE.format(show=show, when=when, title=title)


def _problem_title(response: httpx.Response) -> str:
    """The `title` of a JHipster problem JSON (`detail` when it has none), or ""."""
    if "json" not in response.headers.get("Content-Type", ""):
        return ""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    title = data.get("title") or data.get("detail") or ""
    return str(title).strip()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None
