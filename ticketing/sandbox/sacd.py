"""Fake of the SACD ticketing web service (the "broker" declarations are transmitted through).

Endpoints (paths after the /sacd prefix of the router), every body form-urlencoded:
- `POST /ticketing/auto-access.json` with `login[login]` (the provider's reffile),
  `login[password]` (MD5 hex of its password) and `login[consumer_key]` → 200
  `{"AuthToken": "<hex>"}`; anything wrong → 401 `{"Error": {"Code": "ERR_AUTH", …}}`.
- Broker calls carry `?key=<consumer key>&token=<MD5 hex of (secret key + AuthToken)>`, else
  401 `{"Error": {"Code": "ERR_TOKEN", …}}`, and the common parameters
  `parameters[Application]`, `parameters[LoginRefFile]` (the logged-in reffile) and
  `parameters[Language]` (`FR`), else 200 `{"Error": {"Code": "ERR_WS_PARAM", …}}`.
- `POST /ticketing/broker/HelloWorldWS` → `{"Result": "Hello World!"}`.
- `POST /ticketing/broker/ExploitFileTransmitETicketingDeclarationWS` with
  `parameters[Declaration]` (the XML of `declarations.sacd_xml`) → 200 XML
  `Declaration/Header{dec_ref, dec_nb, sacd_date}` then one
  `Representations/Representation{rep_ref_dec, numero, statut, champ?, message?}` per
  representation received, in the same order.
- `GET /ticketing/logout` → 200 `{"Result": "OK"}`.
- Requests without a browser-like User-Agent ("Mozilla/…") get the firewall's 403 HTML page:
  SACD asked its providers for one.

Refusals of a whole declaration are JSON despite HTTP 200, as SACD sends them:
`ERR_WS_DEC_REF` when `Header/dec_ref` is not a declarant known for teletransmission
(`KNOWN_DECLARANTS`), `ERR_WS_XML` for an unreadable document, `ERR_WS_DEC_NB` when `dec_nb`
is not the number of representations.

Each representation is then judged alone:
- KO (no `numero`, `champ` names the field) when a required field is missing or invalid: the
  reference, currency (EUR), status (DEF/PRG), version (≥ 1), title, start date (`yyyy/MM/dd`,
  a real date), end date before the start, time (`HH:mm`), count (`rep_nb` ≥ 1), ticket counts
  (integers ≥ 0), any amount not a plain non-negative number (VAT amount too, so excl. > incl.
  is refused), the hall's name and capacity, the presenter's name; and when this declarant
  already declared the same `rep_ref_dec` with this `rep_version` or a higher one ("représentation
  déjà déclarée"): a retry that is not idempotent shows, a higher version is a correction.
- WARNING (accepted, numbered) for suspicious data: a capacity lower than the paid and free
  tickets, a ticket VAT rate that is not a legal one (0, 2.1, 5.5, 10, 20 %).
- OK otherwise. Accepted representations get the next `numero` of a sequence starting at
  `FIRST_NUMBER`, so a test can predict them.

State, module-level and shared by threads: `KNOWN_DECLARANTS` (tests may add theirs),
`received` (every declaration document parsed, accepted or not: `{"dec_ref", "header",
"representations", "statuses", "xml"}`) and what was accepted; `reset()` puts everything back.
`clock` gives `sacd_date` (Paris time, `yyyy/MM/dd HH:mm:ss`); tests may replace it.
Faults (`faults.inject("sacd", …)`): TIMEOUT, SERVER_ERROR, UNAVAILABLE, MALFORMED,
RATE_LIMITED as for every fake, on every endpoint (login included); under MALFORMED the request
is processed, then its answer cut in half. CREDENTIALS_REFUSED refuses every login.
"""

import hashlib
import itertools
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from ticketing.sandbox import faults
from ticketing.sandbox.faults import Fault

SERVICE = "sacd"
PARIS = ZoneInfo("Europe/Paris")

# The platform's provider account (as in the dev and test settings).
PROVIDER_REFFILE = "demo-reffile"
PROVIDER_PASSWORD = "demo-password"
CONSUMER_KEY = "demo-consumer-key"
SECRET_KEY = "demo-secret-key"
# The demo organisation's and the tests' sample declarant number.
DEMO_DECLARANT = "1234567"
FIRST_NUMBER = 2026000001

LOGIN = "/ticketing/auto-access.json"
LOGOUT = "/ticketing/logout"
BROKER = "/ticketing/broker/"
HELLO = "HelloWorldWS"
DECLARE = "ExploitFileTransmitETicketingDeclarationWS"
LEGAL_VAT_RATES = frozenset(Decimal(rate) for rate in ("0", "2.1", "5.5", "10", "20"))

FIREWALL_PAGE = """<!DOCTYPE html>
<html><head><title>Access denied</title></head>
<body><h1>Access denied</h1><p>Your request was blocked by the security policy.</p></body>
</html>
"""
NOT_FOUND_PAGE = """<!DOCTYPE html>
<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>
"""

KNOWN_DECLARANTS: set[str] = {DEMO_DECLARANT}
received: list[dict[str, Any]] = []
clock: Callable[[], datetime] = lambda: datetime.now(PARIS)  # noqa: E731

_lock = threading.Lock()
_sessions: dict[str, str] = {}  # access token (MD5 of secret + AuthToken) → reffile
_declared: dict[tuple[str, str], int] = {}  # (declarant, rep_ref_dec) → highest version accepted
_auth_tokens = itertools.count(1)
_numbers = itertools.count(FIRST_NUMBER)

_DATE = re.compile(r"\d{4}/\d{2}/\d{2}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_PLAIN_NUMBER = re.compile(r"\d+(\.\d+)?")
_INTEGER = re.compile(r"\d+")
_AMOUNTS = (
    "rep_mt_billets",
    "rep_mt_tva_billets",
    "rep_tx_tva_billets",
    "rep_mt_depenses",
    "rep_mt_frais",
    "rep_mt_cession",
    "rep_mt_apports_coprod",
    "rep_mt_garantie_rec",
    "rep_mt_autres",
    "salle_prix_moyen",
)


def reset() -> None:
    """Back to the demo declarant alone, no session, nothing received nor declared."""
    global _auth_tokens, _numbers, clock
    with _lock:
        KNOWN_DECLARANTS.clear()
        KNOWN_DECLARANTS.add(DEMO_DECLARANT)
        received.clear()
        _sessions.clear()
        _declared.clear()
        _auth_tokens = itertools.count(1)
        _numbers = itertools.count(FIRST_NUMBER)
        clock = lambda: datetime.now(PARIS)  # noqa: E731


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def handle(request: httpx.Request, path: str) -> httpx.Response:
    if not request.headers.get("User-Agent", "").startswith("Mozilla/"):
        return _html(403, FIREWALL_PAGE)
    fault = faults.active(SERVICE)
    if fault in faults.TRANSPORT_FAULTS:
        return faults.fault_response(
            fault,
            request,
            error=lambda status, message: _error("ERR_SERVER", message, status=status),
            normal=lambda: _route(request, path, None),
        )
    return _route(request, path, fault)


def _route(request: httpx.Request, path: str, fault: Fault | None) -> httpx.Response:
    path = path.rstrip("/")
    if path == LOGIN:
        if request.method != "POST":
            return _error("ERR_METHOD", "Méthode non autorisée", status=405)
        return _login(_form(request), refused=fault is Fault.CREDENTIALS_REFUSED)
    if path == LOGOUT:
        with _lock:
            _sessions.pop(request.url.params.get("token", ""), None)
        return _json({"Result": "OK"})
    if not path.startswith(BROKER):
        return _html(404, NOT_FOUND_PAGE)
    service = path.removeprefix(BROKER)
    if service not in (HELLO, DECLARE):
        return _error("ERR_WS_UNKNOWN", f"Service inconnu : {service}")
    if request.method != "POST":
        return _error("ERR_METHOD", "Méthode non autorisée", status=405)
    reffile = _session(request.url.params)
    if reffile is None:
        return _error("ERR_TOKEN", "Clé ou jeton d'accès invalide ou expiré", status=401)
    form = _form(request)
    missing = _common_parameters_missing(form, reffile)
    if missing:
        return _error("ERR_WS_PARAM", f"Paramètre manquant ou invalide : {missing}")
    if service == HELLO:
        return _json({"Result": "Hello World!"})
    return _declare(form.get("parameters[Declaration]", ""))


def _login(form: dict[str, str], *, refused: bool) -> httpx.Response:
    valid = (
        not refused
        and form.get("login[login]") == PROVIDER_REFFILE
        and form.get("login[password]") == md5_hex(PROVIDER_PASSWORD)
        and form.get("login[consumer_key]") == CONSUMER_KEY
    )
    if not valid:
        return _error("ERR_AUTH", "Identifiants de connexion invalides", status=401)
    with _lock:
        auth_token = md5_hex(f"{PROVIDER_REFFILE}:{next(_auth_tokens)}")
        _sessions[md5_hex(SECRET_KEY + auth_token)] = PROVIDER_REFFILE
    return _json({"AuthToken": auth_token})


def _session(params: httpx.QueryParams) -> str | None:
    if params.get("key") != CONSUMER_KEY:
        return None
    with _lock:
        return _sessions.get(params.get("token", ""))


def _common_parameters_missing(form: dict[str, str], reffile: str) -> str | None:
    if not form.get("parameters[Application]", "").strip():
        return "parameters[Application]"
    if form.get("parameters[LoginRefFile]") != reffile:
        return "parameters[LoginRefFile]"
    if form.get("parameters[Language]") != "FR":
        return "parameters[Language]"
    return None


# --- Declarations ----------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _declare(document: str) -> httpx.Response:
    if not document.strip():
        return _error("ERR_WS_PARAM", "Paramètre manquant ou invalide : parameters[Declaration]")
    if "<!DOCTYPE" in document or "<!ENTITY" in document:
        return _error("ERR_WS_XML", "Document XML illisible : DTD non autorisée")
    try:
        root = ET.fromstring(document.encode())  # noqa: S314 (no DTD, so no entity to expand)
    except ET.ParseError as error:
        return _error("ERR_WS_XML", f"Document XML illisible : {error}")
    header = root.find("Header")
    if root.tag != "Declaration" or header is None:
        return _error("ERR_WS_XML", "Document XML illisible : Declaration/Header attendu")
    fields = {child.tag: (child.text or "").strip() for child in header}
    items = [_flat(item) for item in root.findall("Representations/Representation")]
    declarant = fields.get("dec_ref", "")
    entry = {
        "dec_ref": declarant,
        "header": fields,
        "representations": items,
        "statuses": [],
        "xml": document,
    }
    with _lock:
        received.append(entry)
        known = declarant in KNOWN_DECLARANTS
    if not known:
        return _error(
            "ERR_WS_DEC_REF",
            f"Le déclarant {declarant or '(vide)'} n'existe pas ou n'est pas autorisé à "
            "télétransmettre",
        )
    if not items or fields.get("dec_nb") != str(len(items)):
        return _error("ERR_WS_DEC_NB", "Le nombre de représentations ne correspond pas à dec_nb")
    answers = [_judge(declarant, item) for item in items]
    entry["statuses"] = [answer["statut"] for answer in answers]
    return _xml(_answer(declarant, answers))


def _flat(item: ET.Element) -> dict[str, str]:
    """A representation's leaf fields by name (SACD's names are unique across sections)."""
    return {
        element.tag: (element.text or "").strip()
        for element in item.iter()
        if element is not item and len(element) == 0
    }


def _judge(declarant: str, item: dict[str, str]) -> dict[str, str]:
    reference = item.get("rep_ref_dec", "")
    try:
        version = _check(item)
        warning = _warning(item)
        with _lock:
            accepted = _declared.get((declarant, reference))
            if accepted is not None and version <= accepted:
                raise _Refused(
                    "rep_version",
                    f"Représentation déjà déclarée (version {accepted}) : pour la corriger, "
                    "envoyez une version supérieure",
                )
            _declared[(declarant, reference)] = version
            number = str(next(_numbers))
    except _Refused as refusal:
        return {
            "rep_ref_dec": reference,
            "numero": "",
            "statut": "KO",
            "champ": refusal.field,
            "message": refusal.message,
        }
    if warning is not None:
        field, message = warning
        return {
            "rep_ref_dec": reference,
            "numero": number,
            "statut": "WARNING",
            "champ": field,
            "message": message,
        }
    return {"rep_ref_dec": reference, "numero": number, "statut": "OK"}


def _check(item: dict[str, str]) -> int:
    """The representation's version; raises _Refused at its first invalid field."""
    for name in ("rep_ref_dec", "rep_titre"):
        _required(item, name)
    if item.get("rep_devise") != "EUR":
        raise _Refused("rep_devise", "Devise non prise en charge : seul EUR est accepté")
    if item.get("rep_statut") not in ("DEF", "PRG"):
        raise _Refused("rep_statut", "Statut de représentation inconnu (DEF ou PRG attendu)")
    version = _integer(item, "rep_version", minimum=1)
    start = _date(item, "rep_date_debut", required=True)
    end = _date(item, "rep_date_fin", required=False)
    if start is not None and end is not None and end < start:
        raise _Refused("rep_date_fin", "La date de fin précède la date de début")
    if item.get("rep_horaire") and not _TIME.fullmatch(item["rep_horaire"]):
        raise _Refused("rep_horaire", "Horaire invalide (HH:mm attendu)")
    _integer(item, "rep_nb", minimum=1)
    _required(item, "rep_mt_billets")
    for name in _AMOUNTS:
        if name in item and not _PLAIN_NUMBER.fullmatch(item[name]):
            raise _Refused(name, "Montant invalide : nombre positif ou nul attendu")
    _integer(item, "rep_nb_billets_pay", minimum=0)
    _integer(item, "rep_nb_billets_exo", minimum=0)
    _required(item, "salle_nom")
    _integer(item, "salle_jauge", minimum=0)
    _required(item, "diff_nom")
    return version


def _warning(item: dict[str, str]) -> tuple[str, str] | None:
    tickets = int(item["rep_nb_billets_pay"]) + int(item["rep_nb_billets_exo"])
    if int(item["salle_jauge"]) < tickets:
        return "salle_jauge", "Jauge inférieure au nombre de billets"
    rate = item.get("rep_tx_tva_billets")
    if rate is not None and Decimal(rate) not in LEGAL_VAT_RATES:
        return "rep_tx_tva_billets", "Taux de TVA inhabituel pour la billetterie"
    return None


def _required(item: dict[str, str], name: str) -> str:
    value = item.get(name, "")
    if not value:
        raise _Refused(name, "Champ obligatoire manquant")
    return value


def _integer(item: dict[str, str], name: str, *, minimum: int) -> int:
    value = _required(item, name)
    if not _INTEGER.fullmatch(value) or int(value) < minimum:
        raise _Refused(name, f"Nombre entier supérieur ou égal à {minimum} attendu")
    return int(value)


def _date(item: dict[str, str], name: str, *, required: bool) -> datetime | None:
    value = _required(item, name) if required else item.get(name, "")
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return datetime.strptime(value, "%Y/%m/%d")
    except ValueError:
        raise _Refused(name, "Date invalide (aaaa/mm/jj attendu)") from None


def _answer(declarant: str, answers: list[dict[str, str]]) -> str:
    root = ET.Element("Declaration")
    header = ET.SubElement(root, "Header")
    ET.SubElement(header, "dec_ref").text = declarant
    ET.SubElement(header, "dec_nb").text = str(len(answers))
    ET.SubElement(header, "sacd_date").text = f"{clock().astimezone(PARIS):%Y/%m/%d %H:%M:%S}"
    representations = ET.SubElement(root, "Representations")
    for answer in answers:
        item = ET.SubElement(representations, "Representation")
        for name, value in answer.items():
            ET.SubElement(item, name).text = value
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --- HTTP -----------------------------------------------------------------------------------


def _form(request: httpx.Request) -> dict[str, str]:
    params = httpx.QueryParams(request.content.decode("utf-8", errors="replace"))
    return {key: params[key] for key in params}


def _error(code: str, message: str, *, status: int = 200) -> httpx.Response:
    return _json({"Error": {"Code": code, "Message": message}}, status=status)


def _json(payload: dict[str, Any], *, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"Content-Type": "application/json"},
        content=json.dumps(payload, ensure_ascii=False).encode(),
    )


def _xml(text: str) -> httpx.Response:
    return httpx.Response(
        200, headers={"Content-Type": "text/xml; charset=UTF-8"}, content=text.encode()
    )


def _html(status: int, page: str) -> httpx.Response:
    return httpx.Response(status, headers={"Content-Type": "text/html; charset=utf-8"}, text=page)
