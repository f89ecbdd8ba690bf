"""Client of the SACD ticketing web service, which receives the XML of `declarations.sacd_xml`.

The platform logs in with its own provider account (`settings.SACD_API`); the declarant is named
inside the XML (`dec_ref`, the organisation's SACD number). Each call logs in first, as SACD's
sessions are short and their expiry is not announced: a login, then one broker call with
`key=<consumer key>&token=<MD5 hex of (secret key + AuthToken)>` in the query string.

Every failure raises `SacdError`, whose French `message` says what to do, whose `code` is SACD's
error code when it gave one, and whose `retriable` tells a task whether trying again later may
help. The password, the secret key and the tokens are never logged nor put in a message.

Usage: `answer = SacdClient.from_settings().declare(xml)`; then `answer.accepted`,
`answer.warnings`, `answer.refusals`, and `answer.body` to keep as SACD's receipt.
"""

import hashlib
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from django.conf import settings

from config.http import http_client

__all__ = ["SacdAnswer", "SacdClient", "SacdError", "SacdRepresentationAnswer"]

logger = logging.getLogger(__name__)

LOGIN = "/ticketing/auto-access.json"
HELLO = "/ticketing/broker/HelloWorldWS"
DECLARE = "/ticketing/broker/ExploitFileTransmitETicketingDeclarationWS"
HELLO_RESULT = "Hello World!"
LANGUAGE = "FR"
STATUSES = ("OK", "KO", "WARNING")
# SACD asked its providers for a browser-like User-Agent; ours still says who we are.
BROWSER_HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Safari/537.36 AssistantDeclaration/1.0"
    ),
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8",
}

UNKNOWN_DECLARANT_CODE = "ERR_WS_DEC_REF"

NOT_CONFIGURED = (
    "La télétransmission SACD n'est pas configurée sur cette plateforme : rien n'a été envoyé. "
    "Déclarez ce spectacle directement auprès de la SACD et signalez-le à l'équipe de la "
    "plateforme."
)
UNKNOWN_DECLARANT = (
    "La SACD ne reconnaît pas votre identifiant de déclarant, ou la télétransmission n'est pas "
    "activée sur votre compte SACD. Vérifiez l'identifiant SACD dans les paramètres de votre "
    "structure et, s'il est exact, demandez à votre interlocuteur SACD d'activer la "
    "télétransmission. Relancez ensuite l'envoi."
)
PLATFORM_REFUSED = (
    "La SACD refuse la connexion de la plateforme (ses identifiants de télétransmission sont "
    "incorrects) : rien n'a été envoyé. Signalez-le à l'équipe de la plateforme, puis relancez "
    "l'envoi une fois le problème corrigé."
)
TIMEOUT = (
    "La SACD n'a pas répondu à temps : rien n'a été envoyé. Relancez l'envoi dans quelques minutes."
)
TIMEOUT_DECLARING = (
    "La SACD n'a pas répondu à temps après l'envoi de la déclaration : elle l'a peut-être reçue. "
    "Relancez l'envoi dans quelques minutes ; si la SACD répond alors que les représentations "
    "sont déjà déclarées, c'est qu'elle avait bien reçu la première."
)
UNREACHABLE = (
    "Impossible de joindre la SACD pour le moment : relancez l'envoi dans quelques minutes."
)
RATE_LIMITED = (
    "La SACD reçoit trop de demandes en ce moment : relancez l'envoi dans quelques minutes."
)
SERVER_ERROR = (
    "La SACD rencontre une difficulté de son côté (erreur {status}) : relancez l'envoi dans "
    "quelques minutes."
)
UNREADABLE = (
    "La réponse de la SACD n'a pas pu être lue : rien n'a été envoyé. Relancez l'envoi dans "
    "quelques minutes ; si l'erreur persiste, signalez-la à l'équipe de la plateforme."
)
UNREADABLE_DECLARATION = (
    "La réponse de la SACD à l'envoi de la déclaration n'a pas pu être lue : la SACD l'a peut-être "
    "enregistrée. Ne la renvoyez pas avant d'avoir vérifié auprès de votre interlocuteur SACD "
    "qu'elle n'a pas été reçue, et signalez cette erreur à l'équipe de la plateforme."
)
REFUSED = (
    "La SACD a refusé la demande : « {message} » (code {code}). Rien n'a été enregistré ; "
    "signalez cette erreur à l'équipe de la plateforme si elle persiste."
)
UNEXPECTED = (
    "La SACD a répondu de façon inattendue (erreur {status}) : relancez l'envoi plus tard ; si "
    "l'erreur persiste, signalez-la à l'équipe de la plateforme."
)


class SacdError(Exception):
    """Anything that stops a SACD transmission. `message` is French, shown to the user, and says
    what to do; `retriable` is True when the same request may succeed later (timeouts, SACD down
    or overloaded), False when someone must act first."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        retriable: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
        maybe_received: bool = False,
    ):
        super().__init__(message)
        self.message = message
        # The declaration was sent and SACD may have recorded it (timeout, 5xx or unreadable
        # answer while declaring): it must not be replaced by other figures in the same version.
        self.maybe_received = maybe_received
        self.code = code  # SACD's error code ("ERR_WS_DEC_REF"…), when it gave one
        self.retriable = retriable
        self.status = status  # SACD's HTTP status, when it answered
        self.retry_after = retry_after  # seconds, from a Retry-After header


Status = Literal["OK", "KO", "WARNING"]


@dataclass(frozen=True)
class SacdRepresentationAnswer:
    reference: str  # rep_ref_dec, as we sent it
    number: str  # numero: SACD's number of the representation ("" when refused)
    status: Status
    field: str  # champ: the field a KO or WARNING is about
    message: str


@dataclass(frozen=True)
class SacdAnswer:
    """SACD's answer to a declaration, as it sent it (`body`) and read."""

    declarant: str  # dec_ref
    count: int  # dec_nb
    sacd_date: str  # SACD's date of receipt, as it wrote it
    representations: tuple[SacdRepresentationAnswer, ...]
    body: str

    @property
    def accepted(self) -> bool:
        """Every representation accepted (with or without a warning)."""
        return not self.refusals

    @property
    def warnings(self) -> tuple[SacdRepresentationAnswer, ...]:
        return tuple(item for item in self.representations if item.status == "WARNING")

    @property
    def refusals(self) -> tuple[SacdRepresentationAnswer, ...]:
        return tuple(item for item in self.representations if item.status == "KO")


class SacdClient:
    def __init__(
        self,
        *,
        base_url: str,
        consumer_key: str,
        secret_key: str,
        provider_name: str,
        provider_reffile: str,
        provider_password: str,
        timeout: float | None = None,
    ):
        if not base_url:
            raise SacdError(NOT_CONFIGURED)
        self.base_url = base_url.rstrip("/")
        self.provider_name = provider_name
        self.provider_reffile = provider_reffile
        self._consumer_key = consumer_key
        self._secret_key = secret_key
        self._password = provider_password
        self.timeout = timeout or settings.DECLARATIONS_API_TIMEOUT_SECONDS

    @classmethod
    def from_settings(cls) -> "SacdClient":
        """The client of the SACD configured on this platform (`settings.SACD_API`)."""
        config = settings.SACD_API
        return cls(
            base_url=config.get("BASE_URL", ""),
            consumer_key=config.get("CONSUMER_KEY", ""),
            secret_key=config.get("SECRET_KEY", ""),
            provider_name=config.get("PROVIDER_NAME", ""),
            provider_reffile=config.get("PROVIDER_REFFILE", ""),
            provider_password=config.get("PROVIDER_PASSWORD", ""),
        )

    def __repr__(self) -> str:
        return f"<SacdClient {self.base_url} as {self.provider_reffile!r}>"

    # --- API ------------------------------------------------------------------------------------

    def hello(self) -> None:
        """Logs in and calls SACD's test service: the platform's connection check."""
        with self._http() as client:
            response = self._broker(client, HELLO, {})
        data = _json_object(response, declaring=False)
        if data.get("Result") != HELLO_RESULT:
            raise _answered_error(data, declaring=False)

    def declare(self, xml: str) -> SacdAnswer:
        """Sends one declaration document and returns SACD's verdict on each representation.

        Refused representations are in the answer (`refusals`), not raised: the others may
        have been accepted and numbered, which must be kept."""
        with self._http() as client:
            response = self._broker(client, DECLARE, {"parameters[Declaration]": xml})
        body = response.text
        if body.lstrip().startswith("{"):
            raise _answered_error(_json_object(response, declaring=True), declaring=True)
        answer = _declaration_answer(body)
        if answer is None:
            raise _unreadable(response, declaring=True)
        if answer.refusals or answer.warnings:
            logger.info(
                "SACD declaration: %s refused, %s with a warning, of %s.",
                len(answer.refusals),
                len(answer.warnings),
                len(answer.representations),
            )
        return answer

    # --- HTTP -----------------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        return http_client(timeout=self.timeout, headers=BROWSER_HEADERS)

    def _login(self, client: httpx.Client) -> str:
        """The access token of a new session."""
        form = {
            "login[login]": self.provider_reffile,
            "login[password]": _md5(self._password),
            "login[consumer_key]": self._consumer_key,
        }
        response = self._post(client, LOGIN, form, params=None, declaring=False)
        if response.status_code == 401:
            logger.error("SACD refused the platform's provider account.")
            raise SacdError(PLATFORM_REFUSED, code=_error_code(response), status=401)
        data = _json_object(response, declaring=False)
        auth_token = data.get("AuthToken")
        if not isinstance(auth_token, str) or not auth_token:
            raise _answered_error(data, declaring=False)
        return _md5(self._secret_key + auth_token)

    def _broker(self, client: httpx.Client, path: str, form: dict[str, str]) -> httpx.Response:
        token = self._login(client)
        common = {
            "parameters[Application]": self.provider_name,
            "parameters[LoginRefFile]": self.provider_reffile,
            "parameters[Language]": LANGUAGE,
        }
        response = self._post(
            client,
            path,
            {**common, **form},
            params={"key": self._consumer_key, "token": token},
            declaring=path == DECLARE,
        )
        if response.status_code == 401:
            logger.error("SACD refused the session of the platform's provider account.")
            raise SacdError(PLATFORM_REFUSED, code=_error_code(response), status=401)
        return response

    def _post(
        self,
        client: httpx.Client,
        path: str,
        form: dict[str, str],
        *,
        params: dict[str, str] | None,
        declaring: bool,
    ) -> httpx.Response:
        """POSTs the form; transport failures and non-200 answers (but 401) raise SacdError.

        The URL is never logged nor chained into the error: it carries the access token."""
        try:
            response = client.post(f"{self.base_url}{path}", data=form, params=params)
        except httpx.TimeoutException as error:
            logger.warning("SACD %s: timeout (%s).", path, type(error).__name__)
            raise SacdError(
                TIMEOUT_DECLARING if declaring else TIMEOUT,
                retriable=True,
                maybe_received=declaring,
            ) from None
        except httpx.HTTPError as error:
            logger.warning("SACD %s: %s.", path, type(error).__name__)
            raise SacdError(UNREACHABLE, retriable=True) from None
        status = response.status_code
        if status in (200, 401):
            return response
        logger.warning("SACD %s answered HTTP %s.", path, status)
        retry_after = _retry_after(response)
        if status == 429:
            raise SacdError(RATE_LIMITED, retriable=True, status=status, retry_after=retry_after)
        if status >= 500:
            raise SacdError(
                SERVER_ERROR.format(status=status),
                code=_error_code(response),
                retriable=True,
                status=status,
                retry_after=retry_after,
                maybe_received=declaring,
            )
        raise SacdError(UNEXPECTED.format(status=status), code=_error_code(response), status=status)


def _md5(text: str) -> str:
    # SACD's protocol, not a protection of ours.
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _unreadable(response: httpx.Response, *, declaring: bool) -> SacdError:
    """Before a declaration is sent nothing is lost and a retry is safe; after, SACD may have
    recorded it, so a person must check before anything is sent again."""
    if declaring:
        logger.error("SACD answered a declaration unreadably (HTTP %s).", response.status_code)
        return SacdError(UNREADABLE_DECLARATION, status=response.status_code, maybe_received=True)
    logger.warning("SACD answered unreadably (HTTP %s).", response.status_code)
    return SacdError(UNREADABLE, retriable=True, status=response.status_code)


def _json_object(response: httpx.Response, *, declaring: bool) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _unreadable(response, declaring=declaring)
    return data


def _answered_error(data: dict[str, Any], *, declaring: bool) -> SacdError:
    """The SacdError of a JSON `{"Error": {"Code", "Message"}}` SACD sent with HTTP 200."""
    error = data.get("Error")
    if not isinstance(error, dict) or not error.get("Code"):
        if declaring:
            logger.error("SACD answered a declaration with JSON that is not an error.")
            return SacdError(UNREADABLE_DECLARATION, status=200, maybe_received=True)
        logger.warning("SACD answered JSON without the expected result.")
        return SacdError(UNREADABLE, retriable=True, status=200)
    code = str(error["Code"])
    logger.warning("SACD refused the request: %s.", code)
    if code == UNKNOWN_DECLARANT_CODE:
        return SacdError(UNKNOWN_DECLARANT, code=code, status=200)
    text = str(error.get("Message") or "").strip() or "sans précision"
    return SacdError(REFUSED.format(message=text, code=code), code=code, status=200)


def _error_code(response: httpx.Response) -> str:
    try:
        error = response.json().get("Error") or {}
        return str(error.get("Code") or "")
    except (ValueError, AttributeError):
        return ""


def _declaration_answer(body: str) -> SacdAnswer | None:
    """SACD's XML answer read, or None when it is not one."""
    if "<!DOCTYPE" in body or "<!ENTITY" in body:
        return None  # SACD's answers have none; refusing them rules out entity expansion
    try:
        root = ET.fromstring(body.encode())  # noqa: S314 (no DTD: see above)
    except ET.ParseError:
        return None
    header = root.find("Header")
    items = root.findall("Representations/Representation")
    if root.tag != "Declaration" or header is None or not items:
        return None
    try:
        count = int(_text(header, "dec_nb"))
    except ValueError:
        return None
    representations = []
    for item in items:
        status = _text(item, "statut").upper()
        if status not in STATUSES:
            return None
        representations.append(
            SacdRepresentationAnswer(
                reference=_text(item, "rep_ref_dec"),
                number=_text(item, "numero"),
                status=status,  # type: ignore[arg-type]
                field=_text(item, "champ"),
                message=_text(item, "message"),
            )
        )
    return SacdAnswer(
        declarant=_text(header, "dec_ref"),
        count=count,
        sacd_date=_text(header, "sacd_date"),
        representations=tuple(representations),
        body=body,
    )


def _text(element: ET.Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None
