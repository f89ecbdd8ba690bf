"""Fake of the SIBIL web service (API v2, https://sibil.culture.gouv.fr, a JHipster backend).

Endpoints (paths after the /sibil prefix of the router):
- `POST /api/v2/authenticate` JSON `{"username", "password"}` (`rememberMe`, `accessType` are
  accepted and ignored) → 200 `{"id_token": "<JWT>", "typeError": "AUTHENTICATED", "versions":
  […]}`; unknown account or wrong password → 401 `{"id_token": "", "typeError": "NOT
  AUTHENTICATED", …}`.
- Every other call needs `Authorization: Bearer <id_token>`, else 401 (JHipster problem JSON).
- `GET /api/v2/lieux/types` → `[{"code": "THEATRE", "value": "Théâtre"}, …]` (10 types).
- `GET /api/v2/domaine-representations` → the domains (`id`, `libelle`, `libelleV1`,
  `libelleTri`, `dateCreation`, `dateModification`, `actif`), one inactive. With
  `sansPagination=true` the whole list, else JHipster pages (`page`, `size`, `X-Total-Count`);
  `actif=true|false` filters.
- `POST /api/v2/declarations` DeclarationDTO → 200 the stored DTO (`id`, `version`,
  `declarantId`, `demandeurLogin`, `domaineRepresentationLibelle`, `lieuChamps.statut`
  "PROPOSE", dates). Declarations are kept per declarant by `idExtBilletterie`: the first POST
  creates (version 1), a POST with the same `idExtBilletterie` updates (same id, version + 1).
- `GET /api/v2/declarations/{id}`: one of the declarant's declarations.

Validation refusals are 400 problem JSON as SIBIL sends them (`entityName` "declaration",
`errorKey` "errorsDataSib", a French `title`): missing or ill-typed field, date not an ISO-8601
instant, negative count or amount, more exempt tickets than tickets, unknown or inactive domain,
unknown venue type, unknown status, a multi-performance declaration straddling two quarters,
and SIBIL's duplicate rule: another `idExtBilletterie` of the same declarant with the same
start and the same `critere1` → "Une déclaration existe déjà dans la base de données SIBIL avec
les mêmes données saisies". The fake's own assumption: `idExtBilletterie` is at most 50
characters (two full UUIDs were refused).

Accounts: `ACCOUNTS` (username → password) holds the demo account; tests add theirs and call
`reset()` afterwards. `stored()` lists what was accepted; `expire_tokens()` makes SIBIL forget
the sessions. Faults (`faults.inject("sibil", …)`): TIMEOUT, SERVER_ERROR, UNAVAILABLE,
MALFORMED, RATE_LIMITED as for every fake; CREDENTIALS_REFUSED refuses every login and token.
"""

import base64
import copy
import itertools
import json
import secrets
import threading
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from ticketing.sandbox import faults
from ticketing.sandbox.faults import Fault

SERVICE = "sibil"
PARIS = ZoneInfo("Europe/Paris")
DEMO_USERNAME = "demo-sibil"
DEMO_PASSWORD = "Sibil-demo-2026"
API_VERSIONS = ["v1", "v2"]
MAX_EXTERNAL_ID_LENGTH = 50
DEFAULT_PAGE_SIZE = 20
PROBLEM_TYPE = "https://www.jhipster.tech/problem/problem-with-message"
DUPLICATE_TITLE = (
    "Une déclaration existe déjà dans la base de données SIBIL avec les mêmes données saisies"
)
STATUSES = ("BROUILLON", "ENREGISTRE", "CLOTURE", "REJETE", "ANNULE")

VENUE_TYPES = (
    ("THEATRE", "Théâtre"),
    ("ESPACE_POLYVALENT", "Espace polyvalent"),
    ("CASINO_DISCOTHEQUE_HOTEL_CAFE_RESTAURANT", "Casino, discothèque, hôtel, café, restaurant"),
    ("SALLE_CONCERT_AUDITORIUM_OPERA_ZENITH", "Salle de concert, auditorium, opéra, zénith"),
    ("CABARET_MUSIC_HALL", "Cabaret, music-hall"),
    ("PLEIN_AIR_PARC_LOISIRS_ATTRACTION", "Plein air, parc de loisirs, parc d'attraction"),
    ("STRUCTURE_ITINERANTE_DEMONTABLE_CHAPITEAU", "Structure itinérante ou démontable, chapiteau"),
    ("LIEU_DE_CULTE", "Lieu de culte"),
    ("LIEU_DE_SANTE", "Lieu de santé"),
    ("AUTRE", "Autre"),
)
# (id, libelle, actif), in SIBIL's order. Ids are not contiguous: the list is managed by hand.
DOMAINS = (
    (3, "Humour (ancienne nomenclature)", False),
    (11, "Théâtre, conte, mime", True),
    (12, "Comédie musicale, théâtre musical", True),
    (13, "Humour, sketch, one man show, stand-up", True),
    (14, "Marionnettes, théâtre d'objets", True),
    (21, "Cirque de création", True),
    (22, "Cirque traditionnel, magie", True),
    (23, "Arts de la rue", True),
    (24, "Cabaret, music-hall, revue", True),
    (31, "Danse classique et néoclassique", True),
    (32, "Danse contemporaine, danse de création", True),
    (33, "Danse jazz", True),
    (34, "Danses urbaines, hip-hop", True),
    (35, "Danses traditionnelles et folkloriques", True),
    (36, "Danse de salon, danses sportives", True),
    (41, "Musique classique et contemporaine", True),
    (42, "Opéra, art lyrique", True),
    (43, "Chanson, variétés, pop, rock, électro, rap et genres assimilés", True),
    (44, "Jazz, blues et musiques improvisées", True),
    (45, "Musiques du monde et musiques traditionnelles", True),
    (51, "Spectacle pluridisciplinaire", True),
    (59, "Autre spectacle vivant", True),
)
DOMAINS_UPDATED_AT = "2025-06-02T09:12:44Z"

ACCOUNTS: dict[str, str] = {DEMO_USERNAME: DEMO_PASSWORD}

_lock = threading.Lock()
_tokens: dict[str, str] = {}  # token → username
_declarations: dict[tuple[str, str], dict[str, Any]] = {}  # (username, idExt) → stored DTO
_ids = itertools.count(900_001)


def reset() -> None:
    """Back to the demo account alone, no session, no declaration."""
    with _lock:
        ACCOUNTS.clear()
        ACCOUNTS[DEMO_USERNAME] = DEMO_PASSWORD
        _tokens.clear()
        _declarations.clear()


def expire_tokens() -> None:
    with _lock:
        _tokens.clear()


def stored(username: str | None = None) -> list[dict[str, Any]]:
    """The declarations SIBIL holds (of one declarant), oldest first, amounts as Decimals."""
    with _lock:
        items = [
            _public(copy.deepcopy(dto))
            for (owner, _), dto in _declarations.items()
            if username is None or owner == username
        ]
    return sorted(items, key=lambda dto: dto["id"])


def handle(request: httpx.Request, path: str) -> httpx.Response:
    fault = faults.active(SERVICE)
    if fault in faults.TRANSPORT_FAULTS:
        return faults.fault_response(
            fault, request, error=_problem, normal=lambda: _answer(request, path, None)
        )
    return _answer(request, path, fault)


def _answer(request: httpx.Request, path: str, fault: Fault | None) -> httpx.Response:
    path = path.rstrip("/")
    refused = fault is Fault.CREDENTIALS_REFUSED
    if path == "/api/v2/authenticate":
        if request.method != "POST":
            return _problem(405, "Method Not Allowed")
        return _authenticate(request, refused=refused)
    if not path.startswith("/api/"):
        return _problem(404, "Not Found")
    username = None if refused else _bearer_user(request)
    if username is None:
        return _problem(
            401, "Unauthorized", detail="Full authentication is required to access this resource"
        )
    route = (request.method, path)
    if route == ("GET", "/api/v2/lieux/types"):
        return _json([{"code": code, "value": label} for code, label in VENUE_TYPES])
    if route == ("GET", "/api/v2/domaine-representations"):
        return _domains(request)
    if route == ("POST", "/api/v2/declarations"):
        return _declare(request, username)
    if request.method == "GET" and path.startswith("/api/v2/declarations/"):
        return _declaration(username, path.rsplit("/", 1)[1])
    return _problem(404, "Not Found")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    # SIBIL is a Java backend: amounts come back as JSON numbers, hence floats here.
    text = json.dumps(data, ensure_ascii=False, default=float)
    return httpx.Response(
        status,
        headers={"Content-Type": "application/json", **(headers or {})},
        content=text.encode(),
    )


def _problem(status: int, title: str, *, detail: str | None = None) -> httpx.Response:
    body = {"type": PROBLEM_TYPE, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["message"] = f"error.http.{status}"
    return httpx.Response(status, headers={"Content-Type": "application/problem+json"}, json=body)


def _refusal(title: str) -> httpx.Response:
    """SIBIL's business refusal of a declaration."""
    return httpx.Response(
        400,
        headers={"Content-Type": "application/problem+json"},
        json={
            "entityName": "declaration",
            "errorKey": "errorsDataSib",
            "type": PROBLEM_TYPE,
            "title": title,
            "status": 400,
            "message": "error.errorsDataSib",
            "params": "declaration",
        },
    )


# --- Sessions ----------------------------------------------------------------------------------


def _authenticate(request: httpx.Request, *, refused: bool) -> httpx.Response:
    try:
        data = json.loads(request.content)
        username, password = str(data["username"]), str(data["password"])
    except (ValueError, TypeError, KeyError):
        return _problem(400, "Bad Request")
    with _lock:
        known = ACCOUNTS.get(username)
    if refused or known is None or not secrets.compare_digest(known, password):
        return _json(
            {"id_token": "", "typeError": "NOT AUTHENTICATED", "versions": API_VERSIONS}, 401
        )
    token = _new_token(username)
    with _lock:
        _tokens[token] = username
    return _json({"id_token": token, "typeError": "AUTHENTICATED", "versions": API_VERSIONS})


def _new_token(username: str) -> str:
    """JWT-shaped, opaque to clients (the signature is random, the fake only looks it up)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = int(datetime.now(UTC).timestamp())
    header = part({"alg": "HS512"})
    payload = part({"sub": username, "auth": "ROLE_DECLARANT", "exp": now + 86_400})
    return f"{header}.{payload}.{secrets.token_urlsafe(32)}"


def _bearer_user(request: httpx.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    with _lock:
        username = _tokens.get(token.strip())
        return username if username in ACCOUNTS else None


# --- Reference lists ----------------------------------------------------------------------------


def _domain_dto(domain_id: int, label: str, active: bool) -> dict[str, Any]:
    return {
        "id": domain_id,
        "libelle": label,
        "libelleV1": label,
        "libelleTri": label.upper(),
        "dateCreation": "2019-01-07T10:00:00Z",
        "dateModification": DOMAINS_UPDATED_AT,
        "actif": active,
    }


def _domains(request: httpx.Request) -> httpx.Response:
    params = request.url.params
    items = [_domain_dto(*domain) for domain in DOMAINS]
    if params.get("actif") in ("true", "false"):
        items = [item for item in items if item["actif"] == (params["actif"] == "true")]
    if params.get("sansPagination") == "true":
        return _json(items)
    try:
        page, size = int(params.get("page", 0)), int(params.get("size", DEFAULT_PAGE_SIZE))
        if page < 0 or size < 1:
            raise ValueError
    except ValueError:
        return _problem(400, "Bad Request")
    return _json(items[page * size : (page + 1) * size], headers={"X-Total-Count": str(len(items))})


def _declaration(username: str, raw_id: str) -> httpx.Response:
    with _lock:
        for (owner, _), dto in _declarations.items():
            if owner == username and str(dto["id"]) == raw_id:
                return _json(dto)
    return _problem(404, "Not Found")


# --- Declarations -------------------------------------------------------------------------------


class _Invalid(Exception):
    pass


def _declare(request: httpx.Request, username: str) -> httpx.Response:
    try:
        body = json.loads(request.content, parse_float=Decimal)
        if not isinstance(body, dict):
            raise _Invalid("Le corps de la requête doit être une déclaration.")
        checked = _validate(body)
    except ValueError:
        return _problem(400, "Bad Request", detail="Le corps de la requête n'est pas du JSON.")
    except _Invalid as invalid:
        return _refusal(str(invalid))
    external_id = body["idExtBilletterie"]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _lock:
        for (owner, other_id), other in _declarations.items():
            if (
                owner == username
                and other_id != external_id
                and other["_start"] == checked["start"]
                and other["_title"] == checked["title"]
            ):
                return _refusal(DUPLICATE_TITLE)
        previous = _declarations.get((username, external_id))
        dto = {
            **body,
            "id": previous["id"] if previous else next(_ids),
            "version": previous["version"] + 1 if previous else 1,
            "declarantId": _declarant_id(username),
            "demandeurLogin": username,
            "domaineRepresentationLibelle": checked["domain"],
            "lieuChamps": {**body["lieuChamps"], "statut": "PROPOSE"},
            "dateCreation": previous["dateCreation"] if previous else now,
            "dateModification": now,
            "_start": checked["start"],
            "_title": checked["title"],
        }
        _declarations[(username, external_id)] = dto
    return _json(_public(dto))


def _public(dto: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in dto.items() if not key.startswith("_")}


def _declarant_id(username: str) -> int:
    return 10_000 + sum(username.encode()) % 9_000


def _validate(body: dict[str, Any]) -> dict[str, Any]:
    """What the duplicate rule and the answer need; raises _Invalid with SIBIL's title."""
    external_id = body.get("idExtBilletterie")
    if not isinstance(external_id, str) or not external_id.strip():
        raise _Invalid("Le champ idExtBilletterie est obligatoire")
    if len(external_id) > MAX_EXTERNAL_ID_LENGTH:
        raise _Invalid(
            f"Le champ idExtBilletterie ne doit pas dépasser {MAX_EXTERNAL_ID_LENGTH} caractères"
        )
    count = _count(body, "nbRepresentations", minimum=1)
    if count == 1:
        start = _instant(body, "dateHeureRepresentationUnique")
    else:
        start, end = _instant(body, "dateDebut"), _instant(body, "dateFin")
        if end < start:
            raise _Invalid("La date de fin doit être postérieure à la date de début")
        if _quarter(start) != _quarter(end):
            raise _Invalid("Une déclaration ne peut pas être à cheval sur deux trimestres")
    for name in ("gestionnaireMultiple", "jeunePublic"):
        if not isinstance(body.get(name), bool):
            raise _Invalid(f"Le champ {name} est obligatoire")
    total = _count(body, "nbBilletsTotalBilletterie")
    exempt = _count(body, "nbBilletsExoneres")
    if exempt > total:
        raise _Invalid("Le nombre de billets exonérés dépasse le nombre total de billets")
    for name in ("nbBilletsTarifPlein", "nbBilletsTarifAbonnementForfait"):
        _count(body, name, required=False)
    _count(body, "jauge", minimum=1)
    for name in ("recetteTotalBilletterie", "prixMoyenTotalBilletterie"):
        _amount(body, name)
    for name in ("recetteTarifPlein", "prixMoyenTarifPlein"):
        _amount(body, name, required=False)
    domain = _domain(body.get("domaineRepresentationId"), "domaineRepresentationId")
    venue = body.get("lieuChamps")
    if body.get("lieuId") is None:
        if not isinstance(venue, dict):
            raise _Invalid("Le lieu de la représentation est obligatoire")
        for name in ("nom", "codePostal", "ville"):
            if not isinstance(venue.get(name), str) or not venue[name].strip():
                raise _Invalid(f"Le champ lieuChamps.{name} est obligatoire")
        if venue.get("typeLieu") not in {code for code, _ in VENUE_TYPES}:
            raise _Invalid("Le type de lieu est inconnu")
    show = body.get("spectacleChamps")
    if not isinstance(show, dict):
        raise _Invalid("Le spectacle est obligatoire")
    _domain(show.get("domaineSpectacleId"), "spectacleChamps.domaineSpectacleId")
    title = show.get("critere1")
    if not isinstance(title, str) or not title.strip():
        raise _Invalid("Le champ spectacleChamps.critere1 est obligatoire")
    if body.get("statutDeclaration") not in STATUSES:
        raise _Invalid("Le statut de la déclaration est inconnu")
    return {"start": start, "title": title.strip().casefold(), "domain": domain}


def _count(body: dict, name: str, *, minimum: int = 0, required: bool = True) -> int:
    value = body.get(name)
    if value is None and not required:
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid(f"Le champ {name} doit être un nombre entier")
    if value < minimum:
        raise _Invalid(f"Le champ {name} ne peut pas être inférieur à {minimum}")
    return value


def _amount(body: dict, name: str, *, required: bool = True) -> Decimal:
    value = body.get(name)
    if value is None and not required:
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise _Invalid(f"Le champ {name} doit être un montant")
    try:
        amount = Decimal(value)
    except InvalidOperation as error:
        raise _Invalid(f"Le champ {name} doit être un montant") from error
    if amount < 0:
        raise _Invalid(f"Le champ {name} ne peut pas être négatif")
    return amount


def _instant(body: dict, name: str) -> datetime:
    value = body.get(name)
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _Invalid(f"Le champ {name} doit être une date et heure au format ISO-8601")
    return moment.astimezone(UTC)


def _quarter(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(PARIS)
    return local.year, (local.month - 1) // 3


def _domain(value: Any, name: str) -> str:
    for domain_id, label, active in DOMAINS:
        if value == domain_id and not isinstance(value, bool):
            if not active:
                raise _Invalid(f"Le domaine {domain_id} n'est plus actif")
            return label
    raise _Invalid(f"Le champ {name} ne correspond à aucun domaine connu")
