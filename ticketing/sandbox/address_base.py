"""Fake of the Géoplateforme geocoder (data.geopf.fr), `GET /geocodage/search/`.

Answers a GeoJSON FeatureCollection shaped like the real one (properties label, score,
housenumber, id, banId, name, postcode, citycode, x, y, city, district, context, type,
importance, street, _type) and the real 400 body for an invalid `q` or `limit`. The data are
the head offices of the fake companies plus other addresses in Paris, Lyon, Marseille, Lille,
Corsica and overseas, and the municipalities themselves. Scores come from simple token
matching, not from the real engine.
"""

import re
import unicodedata
import uuid
from dataclasses import dataclass

import httpx

from ticketing.sandbox import faults

SERVICE = "address_base"
MAX_LIMIT = 20
# Words that say little about which address is meant: they weigh less in the score.
STOPWORDS = {"a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les"}
STREET_TYPES = {"allee", "avenue", "boulevard", "chemin", "cours", "place", "quai", "route", "rue"}

PARIS = "75, Paris, Île-de-France"
RHONE = "69, Rhône, Auvergne-Rhône-Alpes"
BOUCHES_DU_RHONE = "13, Bouches-du-Rhône, Provence-Alpes-Côte d'Azur"
NORD = "59, Nord, Hauts-de-France"
CORSE_DU_SUD = "2A, Corse-du-Sud, Corse"


@dataclass(frozen=True)
class FakeAddress:
    kind: str  # housenumber, street, locality or municipality
    name: str
    postcode: str
    citycode: str
    city: str
    context: str
    lon: float
    lat: float
    x: float
    y: float
    importance: float
    housenumber: str | None = None
    street: str | None = None
    district: str | None = None
    street_code: str = ""
    population: int | None = None

    @property
    def id(self) -> str:
        if self.kind == "municipality":
            return self.citycode
        if self.kind == "housenumber":
            return f"{self.citycode}_{self.street_code}_{int(self.housenumber or 0):05d}"
        return f"{self.citycode}_{self.street_code}"

    @property
    def label(self) -> str:
        if self.kind == "municipality":
            return self.city
        return f"{self.name} {self.postcode} {self.city}"


def _number(number: str, street: str, **fields) -> FakeAddress:
    return FakeAddress(
        kind="housenumber", name=f"{number} {street}", housenumber=number, street=street, **fields
    )


# fmt: off
ADDRESSES: tuple[FakeAddress, ...] = (
    # Head offices of the fake companies (ticketing/sandbox/company_directory.py).
    _number(
        "12", "Rue de la Martinière", postcode="69001", citycode="69381", city="Lyon",
        district="Lyon 1er Arrondissement", context=RHONE, lon=4.8291, lat=45.768,
        x=842143.52, y=6520356.55, importance=0.6912, street_code="4520",
    ),
    _number(
        "27", "Rue de la Roquette", postcode="75011", citycode="75111", city="Paris",
        district="Paris 11e Arrondissement", context=PARIS, lon=2.3731, lat=48.8542,
        x=654000.37, y=6861756.02, importance=0.7306, street_code="8325",
    ),
    _number(
        "5", "Quai de Rive Neuve", postcode="13007", citycode="13207", city="Marseille",
        district="Marseille 7e Arrondissement", context=BOUCHES_DU_RHONE, lon=5.3717,
        lat=43.293, x=892556.11, y=6246650.99, importance=0.6855, street_code="7830",
    ),
    _number(
        "18", "Rue de Gand", postcode="59800", citycode="59350", city="Lille", context=NORD,
        lon=3.0673, lat=50.6408, x=704768.8, y=7060429.74, importance=0.6621,
        street_code="3620",
    ),
    _number(
        "3", "Cours Napoléon", postcode="20000", citycode="2A004", city="Ajaccio",
        context=CORSE_DU_SUD, lon=8.7377, lat=41.9224, x=1176567.08, y=6108623.12,
        importance=0.6043, street_code="0530",
    ),
    _number(
        "21", "Rue de Paris", postcode="97400", citycode="97411", city="Saint-Denis",
        context="974, La Réunion", lon=55.4497, lat=-20.8795, x=338915.42, y=7690473.18,
        importance=0.6218, street_code="0910",
    ),
    _number(
        "9", "Rue du Colonel Pierre Avia", postcode="75015", citycode="75115", city="Paris",
        district="Paris 15e Arrondissement", context=PARIS, lon=2.2768, lat=48.8309,
        x=646910.68, y=6859225.73, importance=0.6974, street_code="2160",
    ),
    # Other addresses.
    _number(
        "20", "Avenue de Ségur", postcode="75007", citycode="75107", city="Paris",
        district="Paris 7e Arrondissement", context=PARIS, lon=2.308628, lat=48.850699,
        x=649266.35, y=6861406.23, importance=0.7132, street_code="8909",
    ),
    _number(
        "1", "Rue de la Roquette", postcode="75011", citycode="75111", city="Paris",
        district="Paris 11e Arrondissement", context=PARIS, lon=2.3701, lat=48.8534,
        x=653779.53, y=6861668.82, importance=0.7306, street_code="8325",
    ),
    FakeAddress(
        kind="street", name="Rue de la Roquette", street="Rue de la Roquette",
        postcode="75011", citycode="75111", city="Paris", district="Paris 11e Arrondissement",
        context=PARIS, lon=2.3775, lat=48.8575, x=654326.11, y=6862120.4,
        importance=0.7306, street_code="8325",
    ),
    _number(
        "12", "Rue de la Paix", postcode="75002", citycode="75102", city="Paris",
        district="Paris 2e Arrondissement", context=PARIS, lon=2.3313, lat=48.8689,
        x=650947.15, y=6863415.7, importance=0.7288, street_code="7061",
    ),
    _number(
        "1", "Place de la Comédie", postcode="69001", citycode="69381", city="Lyon",
        district="Lyon 1er Arrondissement", context=RHONE, lon=4.836, lat=45.7677,
        x=842680.42, y=6520335.69, importance=0.7012, street_code="2380",
    ),
    FakeAddress(
        kind="street", name="Rue de la Martinière", street="Rue de la Martinière",
        postcode="69001", citycode="69381", city="Lyon", district="Lyon 1er Arrondissement",
        context=RHONE, lon=4.8288, lat=45.7678, x=842120.73, y=6520333.8,
        importance=0.6912, street_code="4520",
    ),
    _number(
        "8", "Rue de la République", postcode="69002", citycode="69382", city="Lyon",
        district="Lyon 2e Arrondissement", context=RHONE, lon=4.8357, lat=45.7618,
        x=842672.34, y=6519680.12, importance=0.7151, street_code="6120",
    ),
    _number(
        "26", "La Canebière", postcode="13001", citycode="13201", city="Marseille",
        district="Marseille 1er Arrondissement", context=BOUCHES_DU_RHONE, lon=5.3785,
        lat=43.2968, x=893095.31, y=6247089.83, importance=0.7245, street_code="1540",
    ),
    _number(
        "15", "Rue Esquermoise", postcode="59000", citycode="59350", city="Lille",
        context=NORD, lon=3.0617, lat=50.6387, x=704372.17, y=7060195.41,
        importance=0.6702, street_code="2840",
    ),
    _number(
        "2", "Boulevard Pascal Rossini", postcode="20000", citycode="2A004", city="Ajaccio",
        context=CORSE_DU_SUD, lon=8.7347, lat=41.9199, x=1176338.53, y=6108327.46,
        importance=0.6043, street_code="1310",
    ),
    _number(
        "6", "Rue Victor Hugo", postcode="97200", citycode="97209", city="Fort-de-France",
        context="972, Martinique", lon=-61.0684, lat=14.6036, x=707721.64, y=1615287.9,
        importance=0.6397, street_code="1420",
    ),
    FakeAddress(
        kind="locality", name="Salin-de-Giraud", postcode="13129", citycode="13004",
        city="Arles", context=BOUCHES_DU_RHONE, lon=4.6828, lat=43.411, x=836355.64,
        y=6258328.91, importance=0.5921, street_code="b042",
    ),
    # Municipalities: the client leaves them out.
    FakeAddress(
        kind="municipality", name="Paris", postcode="75001", citycode="75056", city="Paris",
        context=PARIS, lon=2.347, lat=48.859, x=652089.7, y=6862305.26, importance=0.6745,
        population=2133111,
    ),
    FakeAddress(
        kind="municipality", name="Lyon", postcode="69001", citycode="69123", city="Lyon",
        context=RHONE, lon=4.835, lat=45.758, x=842627.75, y=6519256.98, importance=0.6431,
        population=522250,
    ),
    FakeAddress(
        kind="municipality", name="Marseille", postcode="13001", citycode="13055",
        city="Marseille", context=BOUCHES_DU_RHONE, lon=5.38, lat=43.297, x=893216.37,
        y=6247115.72, importance=0.6564, population=873076,
    ),
    FakeAddress(
        kind="municipality", name="Lille", postcode="59000", citycode="59350", city="Lille",
        context=NORD, lon=3.047, lat=50.632, x=703330.95, y=7059448.11, importance=0.6044,
        population=236710,
    ),
    FakeAddress(
        kind="municipality", name="Ajaccio", postcode="20000", citycode="2A004",
        city="Ajaccio", context=CORSE_DU_SUD, lon=8.737, lat=41.919, x=1176536.51,
        y=6108241.42, importance=0.5523, population=73041,
    ),
    FakeAddress(
        kind="municipality", name="Saint-Denis", postcode="97400", citycode="97411",
        city="Saint-Denis", context="974, La Réunion", lon=55.448, lat=-20.882, x=338760.12,
        y=7690180.55, importance=0.5698, population=153001,
    ),
    FakeAddress(
        kind="municipality", name="Arles", postcode="13200", citycode="13004", city="Arles",
        context=BOUCHES_DU_RHONE, lon=4.631, lat=43.677, x=831548.33, y=6287799.02,
        importance=0.5302, population=51031,
    ),
)
# fmt: on


def handle(request: httpx.Request, path: str) -> httpx.Response:
    if path.rstrip("/") != "/geocodage/search":
        return _error(404, "Not Found")
    if request.method != "GET":
        return _error(405, "Method Not Allowed")
    fault = faults.active(SERVICE)
    if fault is not None:
        return faults.fault_response(
            fault, request, error=_error, normal=lambda: _search(request.url.params)
        )
    return _search(request.url.params)


def _error(status: int, message: str, detail: list[str] | None = None) -> httpx.Response:
    body: dict = {"code": status, "message": message}
    if detail:
        body["detail"] = detail
    return httpx.Response(status, json=body)


def _search(params: httpx.QueryParams) -> httpx.Response:
    query = (params.get("q") or "").strip()
    if not 3 <= len(query) <= 200 or not query[0].isalnum():
        return _error(
            400,
            "Failed parsing query",
            ["q: must contain between 3 and 200 chars and start with a number or a letter"],
        )
    try:
        limit = int(params.get("limit", "10"))
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        return _error(
            400,
            "Failed parsing query",
            [f"limit: Param limit must be an integer between 1 and {MAX_LIMIT}"],
        )
    autocomplete = params.get("autocomplete", "1").lower() not in {"0", "false"}
    kind = params.get("type")
    postcode = params.get("postcode")
    scored = []
    for address in ADDRESSES:
        if (kind and address.kind != kind) or (postcode and address.postcode != postcode):
            continue
        score = _score(_tokens(query), address, autocomplete=autocomplete)
        if score > 0:
            scored.append((score, address))
    scored.sort(key=lambda item: -item[0])
    return httpx.Response(
        200,
        json={
            "type": "FeatureCollection",
            "features": [_feature(address, score) for score, address in scored[:limit]],
            "query": query,
        },
    )


def _tokens(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return re.findall(r"[a-z0-9]+", plain)


def _weight(word: str) -> float:
    return 0.2 if word in STOPWORDS or word in STREET_TYPES else 1.0


def _score(query: list[str], address: FakeAddress, *, autocomplete: bool) -> float:
    """0 when the address's own name (street, locality or municipality) does not match, or
    when the query has another house number; otherwise the weighted share of the query found
    in the label and of the label found in the query, nudged by importance (0–1, as real)."""
    label = _tokens(address.label)

    def found(position: int, word: str) -> bool:
        if word in label:
            return True
        is_last = position == len(query) - 1
        return autocomplete and is_last and any(token.startswith(word) for token in label)

    matched = [word for position, word in enumerate(query) if found(position, word)]
    name_words = {
        word for word in _tokens(address.name) if _weight(word) == 1 and not word.isdigit()
    }
    if not name_words & set(matched) and not (
        autocomplete and query and any(word.startswith(query[-1]) for word in name_words)
    ):
        return 0.0
    numbers = [word for word in query if word.isdigit() and len(word) < 5]
    if address.housenumber and numbers and address.housenumber not in numbers:
        return 0.0
    matched_weight = sum(_weight(word) for word in matched)
    precision = matched_weight / sum(_weight(word) for word in query)
    coverage = min(1.0, matched_weight / sum(_weight(word) for word in label))
    return round(0.6 * precision + 0.3 * coverage + 0.1 * address.importance, 4)


def _feature(address: FakeAddress, score: float) -> dict:
    properties: dict = {
        "label": address.label,
        "score": score,
        "id": address.id,
        "banId": None
        if address.kind == "municipality"
        else str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-ban:{address.id}")),
        "name": address.name,
        "postcode": address.postcode,
        "citycode": address.citycode,
        "x": address.x,
        "y": address.y,
        "city": address.city,
        "context": address.context,
        "type": address.kind,
        "importance": address.importance,
        "_type": "address",
    }
    if address.housenumber:
        properties["housenumber"] = address.housenumber
    if address.street:
        properties["street"] = address.street
    if address.district:
        properties["district"] = address.district
    if address.population is not None:
        properties["population"] = address.population
        properties["municipality"] = address.city
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [address.lon, address.lat]},
        "properties": properties,
    }
