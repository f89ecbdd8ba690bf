"""Fake of the company directory API (recherche-entreprises.api.gouv.fr), `GET /search`.

Same parameters, same JSON shape and the same 400 error bodies as the real service (FastAPI,
errors as `{"erreur": "…"}`), over a small fixed data set of fictional live-performance
organisers plus La Poste, whose post offices' SIRETs do not follow Luhn.

Non-diffusible units are masked as the real API does (statut_diffusion "P": a person's name
and the establishment's address become "[NON-DIFFUSIBLE]") and, by this fake's choice, are
found only by their SIREN or SIRET, never by name.
"""

import math
import re
import unicodedata
from dataclasses import dataclass

import httpx

from accounts.identifiers import digits_only
from ticketing.sandbox import faults

SERVICE = "company_directory"
NON_DIFFUSIBLE = "[NON-DIFFUSIBLE]"
MAX_PER_PAGE = 25
INCLUDABLE = ("complements", "dirigeants", "finances", "matching_etablissements", "siege", "score")
DEFAULT_INCLUDES = {"siege", "finances", "complements", "dirigeants", "matching_etablissements"}
UPDATED_AT = "2026-01-12T08:14:52"


@dataclass(frozen=True)
class FakeEstablishment:
    siret: str
    number: str
    street_type: str
    street_name: str
    postal_code: str
    city_code: str
    city: str
    department: str
    region: str
    geo_address: str
    latitude: str
    longitude: str
    created: str
    is_head_office: bool = True
    employees: str | None = None


@dataclass(frozen=True)
class FakeCompany:
    siren: str
    name: str
    legal_form: str
    activity: str
    created: str
    head_office: FakeEstablishment
    other_establishments: tuple[FakeEstablishment, ...] = ()
    acronym: str | None = None
    # An individual entrepreneur: the name is a person's, there is no raison sociale.
    is_person: bool = False
    non_diffusible: bool = False
    association_id: str | None = None
    live_performance_licence: bool = True
    category: str = "PME"
    employees: str | None = None

    @property
    def establishments(self) -> tuple[FakeEstablishment, ...]:
        return (self.head_office, *self.other_establishments)


def _paris(
    siret: str, number: str, street_type: str, street_name: str, postal_code: str, **fields
) -> FakeEstablishment:
    return FakeEstablishment(
        siret=siret,
        number=number,
        street_type=street_type,
        street_name=street_name,
        postal_code=postal_code,
        city_code=f"751{postal_code[-2:]}",
        city="PARIS",
        department="75",
        region="11",
        **fields,
    )


DEMO_COMPANY_SIREN = "784125635"

COMPANIES: tuple[FakeCompany, ...] = (
    FakeCompany(
        siren="784125635",
        name="THEATRE DE LA LUNE ROUSSE",
        legal_form="9220",  # association déclarée
        activity="90.01Z",
        created="1978-09-14",
        association_id="W691004512",
        employees="11",
        head_office=FakeEstablishment(
            siret="78412563500028",
            number="12",
            street_type="RUE",
            street_name="DE LA MARTINIERE",
            postal_code="69001",
            city_code="69381",
            city="LYON",
            department="69",
            region="84",
            geo_address="12 Rue de la Martinière 69001 Lyon",
            latitude="45.768",
            longitude="4.8291",
            created="2004-01-05",
            employees="11",
        ),
    ),
    FakeCompany(
        siren="841277932",
        name="ONDES CARREES PRODUCTIONS",
        legal_form="5710",  # SAS
        activity="90.01Z",
        created="2018-06-21",
        employees="03",
        head_office=_paris(
            "84127793200015",
            "27",
            "RUE",
            "DE LA ROQUETTE",
            "75011",
            geo_address="27 Rue de la Roquette 75011 Paris",
            latitude="48.8542",
            longitude="2.3731",
            created="2018-06-21",
            employees="03",
        ),
    ),
    FakeCompany(
        siren="819355421",
        name="FESTIVAL LES NUITS DU PORT",
        acronym="FNP",
        legal_form="9220",
        activity="90.02Z",
        created="2016-03-02",
        association_id="W133021877",
        employees="02",
        head_office=FakeEstablishment(
            siret="81935542100010",
            number="5",
            street_type="QUAI",
            street_name="DE RIVE NEUVE",
            postal_code="13007",
            city_code="13207",
            city="MARSEILLE",
            department="13",
            region="93",
            geo_address="5 Quai de Rive Neuve 13007 Marseille",
            latitude="43.293",
            longitude="5.3717",
            created="2016-03-02",
            employees="02",
        ),
    ),
    FakeCompany(
        siren="792634180",
        name="COMPAGNIE DU THEATRE NOMADE",
        legal_form="5499",  # SARL
        activity="90.01Z",
        created="2013-04-18",
        employees="01",
        head_office=FakeEstablishment(
            siret="79263418000022",
            number="18",
            street_type="RUE",
            street_name="DE GAND",
            postal_code="59800",
            city_code="59350",
            city="LILLE",
            department="59",
            region="32",
            geo_address="18 Rue de Gand 59800 Lille",
            latitude="50.6408",
            longitude="3.0673",
            created="2019-10-01",
            employees="01",
        ),
    ),
    FakeCompany(
        siren="903182640",
        name="CLAIRE MOREAU",
        is_person=True,
        non_diffusible=True,
        legal_form="1000",  # entrepreneur individuel
        activity="90.02Z",
        created="2021-09-06",
        head_office=FakeEstablishment(
            siret="90318264000016",
            number="3",
            street_type="COURS",
            street_name="NAPOLEON",
            postal_code="20000",
            city_code="2A004",
            city="AJACCIO",
            department="2A",
            region="94",
            geo_address="3 Cours Napoléon 20000 Ajaccio",
            latitude="41.9224",
            longitude="8.7377",
            created="2021-09-06",
        ),
    ),
    FakeCompany(
        siren="825471063",
        name="KAZ A SONS",
        legal_form="9220",
        activity="90.01Z",
        created="2017-01-23",
        association_id="W9R4003321",
        employees="01",
        head_office=FakeEstablishment(
            siret="82547106300016",
            number="21",
            street_type="RUE",
            street_name="DE PARIS",
            postal_code="97400",
            city_code="97411",
            city="SAINT-DENIS",
            department="974",
            region="04",
            geo_address="21 Rue de Paris 97400 Saint-Denis",
            latitude="-20.8795",
            longitude="55.4497",
            created="2017-01-23",
            employees="01",
        ),
    ),
    FakeCompany(
        siren="356000000",
        name="LA POSTE",
        legal_form="5599",  # société anonyme à conseil d'administration
        activity="53.10Z",
        created="1991-01-01",
        category="GE",
        employees="53",
        live_performance_licence=False,
        head_office=_paris(
            "35600000000048",
            "9",
            "RUE",
            "DU COLONEL PIERRE AVIA",
            "75015",
            geo_address="9 Rue du Colonel Pierre Avia 75015 Paris",
            latitude="48.8309",
            longitude="2.2768",
            created="2010-03-01",
            employees="42",
        ),
        other_establishments=(
            # Post offices: the sum of the 14 digits is a multiple of 5, Luhn does not hold.
            FakeEstablishment(
                siret="35600000003120",
                number="10",
                street_type="PLACE",
                street_name="ANTONIN PONCET",
                postal_code="69002",
                city_code="69382",
                city="LYON",
                department="69",
                region="84",
                geo_address="10 Place Antonin Poncet 69002 Lyon",
                latitude="45.757",
                longitude="4.833",
                created="1991-01-01",
                is_head_office=False,
                employees="21",
            ),
            FakeEstablishment(
                siret="35600000005213",
                number="26",
                street_type="RUE",
                street_name="ESQUERMOISE",
                postal_code="59000",
                city_code="59350",
                city="LILLE",
                department="59",
                region="32",
                geo_address="26 Rue Esquermoise 59000 Lille",
                latitude="50.6389",
                longitude="3.0614",
                created="1991-01-01",
                is_head_office=False,
                employees="12",
            ),
        ),
    ),
)


def handle(request: httpx.Request, path: str) -> httpx.Response:
    if path.rstrip("/") != "/search":
        return httpx.Response(404, json={"detail": "Not Found"})
    if request.method != "GET":
        return httpx.Response(405, json={"detail": "Method Not Allowed"})
    fault = faults.active(SERVICE)
    if fault is not None:
        return faults.fault_response(
            fault, request, error=_error, normal=lambda: _search(request.url.params)
        )
    return _search(request.url.params)


def _error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"erreur": message})


class _InvalidParam(Exception):
    pass


def _integer(params: httpx.QueryParams, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _InvalidParam(f"Veuillez indiquer un paramètre `{name}` entier.") from None
    if not low <= value <= high:
        raise _InvalidParam(
            f"Veuillez indiquer un paramètre `{name}` entre `{low}` et `{high}`, "
            f"par défaut `{default}`."
        )
    return value


def _includes(params: httpx.QueryParams) -> set[str]:
    minimal = params.get("minimal")
    if minimal is not None and minimal.upper() not in {"TRUE", "FALSE"}:
        raise _InvalidParam("minimal doit prendre la valeur 'true' ou 'false' !")
    is_minimal = minimal is not None and minimal.upper() == "TRUE"
    include = params.get("include")
    if include and not is_minimal:
        raise _InvalidParam(
            "Veuillez indiquer si vous souhaitez une réponse minimale avec le filtre "
            "`minimal=True`` avant de préciser les champs à inclure."
        )
    if not is_minimal:
        return set(DEFAULT_INCLUDES)
    fields = {field.strip().lower() for field in (include or "").split(",") if field.strip()}
    if fields - set(INCLUDABLE):
        raise _InvalidParam(
            "Au moins un champ à inclure est non valide. "
            f"Les champs valides : {[field for field in INCLUDABLE]}."
        )
    return fields


def _search(params: httpx.QueryParams) -> httpx.Response:
    terms = (params.get("q") or "").strip()
    try:
        if not terms:
            raise _InvalidParam("Veuillez indiquer au moins un paramètre de recherche.")
        page = _integer(params, "page", 1, 1, 1000)
        per_page = _integer(params, "per_page", 10, 1, MAX_PER_PAGE)
        includes = _includes(params)
        if len(terms) < 3:
            raise _InvalidParam(
                "3 caractères minimum pour les termes de la requête "
                "(ou utilisez au moins un filtre)"
            )
    except _InvalidParam as error:
        return _error(400, str(error))
    matches = search(terms)
    start = (page - 1) * per_page
    return httpx.Response(
        200,
        json={
            "results": [
                _result(company, matching, includes, score)
                for company, matching, score in matches[start : start + per_page]
            ],
            "total_results": len(matches),
            "page": page,
            "per_page": per_page,
            "total_pages": math.ceil(len(matches) / per_page),
        },
    )


def _tokens(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return re.findall(r"[a-z0-9]+", plain)


def search(terms: str) -> list[tuple[FakeCompany, list[FakeEstablishment], float]]:
    """Companies matching `terms`, best first, with their matching establishments and score."""
    digits = digits_only(terms)
    if digits.isdigit() and len(digits) in (9, 14):
        found = []
        for company in COMPANIES:
            matching = [
                establishment
                for establishment in company.establishments
                if digits in (company.siren, establishment.siret)
                and (len(digits) == 14 or establishment.is_head_office)
            ]
            if matching:
                found.append((company, matching, 1.0))
        return found
    wanted = _tokens(terms)
    found = []
    for company in COMPANIES:
        if company.non_diffusible or not wanted:
            continue
        name_tokens = _tokens(f"{company.name} {company.acronym or ''}")
        if all(any(token.startswith(word) for token in name_tokens) for word in wanted):
            exact = sum(word in name_tokens for word in wanted)
            found.append((company, [company.head_office], exact / len(name_tokens)))
    return sorted(found, key=lambda item: -item[2])


def _full_name(company: FakeCompany) -> str:
    return f"{company.name} ({company.acronym})" if company.acronym else company.name


def _address(establishment: FakeEstablishment) -> str:
    return (
        f"{establishment.number} {establishment.street_type} {establishment.street_name} "
        f"{establishment.postal_code} {establishment.city}"
    )


def _establishment(establishment: FakeEstablishment, company: FakeCompany) -> dict:
    masked = company.non_diffusible

    def hide(value: str | None) -> str | None:
        return NON_DIFFUSIBLE if masked and value is not None else value

    return {
        "activite_principale": company.activity,
        "activite_principale_registre_metier": None,
        "annee_tranche_effectif_salarie": "2023" if establishment.employees else None,
        "adresse": hide(_address(establishment)),
        "caractere_employeur": "O" if establishment.employees else "N",
        "cedex": None,
        "code_pays_etranger": None,
        "code_postal": hide(establishment.postal_code),
        "commune": establishment.city_code,
        "complement_adresse": None,
        "coordonnees": hide(f"{establishment.latitude},{establishment.longitude}"),
        "date_creation": establishment.created,
        "date_debut_activite": establishment.created,
        "date_fermeture": None,
        "date_mise_a_jour": None,
        "date_mise_a_jour_insee": UPDATED_AT,
        "departement": establishment.department,
        "distribution_speciale": None,
        "epci": None,
        "est_siege": establishment.is_head_office,
        "etat_administratif": "A",
        "geo_adresse": hide(establishment.geo_address),
        "geo_id": None if masked else f"{establishment.city_code}_{establishment.siret[-5:]}",
        "indice_repetition": None,
        "latitude": hide(establishment.latitude),
        "libelle_cedex": None,
        "libelle_commune": establishment.city,
        "libelle_commune_etranger": None,
        "libelle_pays_etranger": None,
        "libelle_voie": hide(establishment.street_name),
        "liste_enseignes": None,
        "liste_finess": None,
        "liste_id_bio": None,
        "liste_idcc": None,
        "liste_id_organisme_formation": None,
        "liste_rge": None,
        "liste_uai": None,
        "longitude": hide(establishment.longitude),
        "nom_commercial": None,
        "numero_voie": hide(establishment.number),
        "region": establishment.region,
        "siret": establishment.siret,
        "statut_diffusion_etablissement": "P" if masked else "O",
        "tranche_effectif_salarie": establishment.employees,
        "type_voie": hide(establishment.street_type),
    }


def _matching_establishment(establishment: FakeEstablishment, company: FakeCompany) -> dict:
    full = _establishment(establishment, company)
    hidden = {
        "activite_principale_registre_metier",
        "coordonnees",
        "cedex",
        "code_pays_etranger",
        "complement_adresse",
        "date_mise_a_jour",
        "date_mise_a_jour_insee",
        "departement",
        "distribution_speciale",
        "geo_adresse",
        "indice_repetition",
        "libelle_cedex",
        "libelle_commune_etranger",
        "libelle_pays_etranger",
        "libelle_voie",
        "numero_voie",
        "type_voie",
    }
    return {key: value for key, value in full.items() if key not in hidden} | {
        "ancien_siege": False
    }


def _result(
    company: FakeCompany,
    matching: list[FakeEstablishment],
    includes: set[str],
    score: float,
) -> dict:
    hide_name = company.non_diffusible and company.is_person
    result: dict = {
        "siren": company.siren,
        "nom_complet": NON_DIFFUSIBLE if hide_name else _full_name(company),
        "nom_raison_sociale": NON_DIFFUSIBLE if hide_name else company.name,
        "sigle": NON_DIFFUSIBLE if company.non_diffusible else company.acronym,
        "nombre_etablissements": len(company.establishments),
        "nombre_etablissements_ouverts": len(company.establishments),
        "activite_principale": company.activity,
        "categorie_entreprise": company.category,
        "caractere_employeur": None,
        "annee_categorie_entreprise": "2022",
        "date_creation": company.created,
        "date_fermeture": None,
        "date_mise_a_jour": UPDATED_AT,
        "date_mise_a_jour_insee": UPDATED_AT,
        "date_mise_a_jour_rne": None if company.association_id else UPDATED_AT,
        "etat_administratif": "A",
        "nature_juridique": company.legal_form,
        "section_activite_principale": "H" if company.activity.startswith("53") else "R",
        "tranche_effectif_salarie": company.employees,
        "annee_tranche_effectif_salarie": "2023" if company.employees else None,
        "statut_diffusion": "P" if company.non_diffusible else "O",
    }
    if "siege" in includes:
        result["siege"] = _establishment(company.head_office, company)
    if "dirigeants" in includes:
        result["dirigeants"] = []
    if "finances" in includes:
        result["finances"] = {}
    if "matching_etablissements" in includes:
        result["matching_etablissements"] = [
            _matching_establishment(establishment, company) for establishment in matching
        ]
    if "complements" in includes:
        result["complements"] = _complements(company)
    if "score" in includes:
        result["score"] = round(score * 100, 3)
    return result


def _complements(company: FakeCompany) -> dict:
    return {
        "collectivite_territoriale": None,
        "convention_collective_renseignee": False,
        "liste_idcc": None,
        "egapro_renseignee": False,
        "est_association": company.association_id is not None,
        "est_bio": False,
        "est_entrepreneur_individuel": company.is_person,
        "est_entrepreneur_spectacle": company.live_performance_licence,
        "est_ess": company.association_id is not None,
        "est_finess": False,
        "est_organisme_formation": False,
        "est_qualiopi": False,
        "liste_id_organisme_formation": None,
        "est_rge": False,
        "est_service_public": False,
        "est_siae": False,
        "est_societe_mission": False,
        "est_uai": False,
        "identifiant_association": company.association_id,
        "statut_entrepreneur_spectacle": "valide" if company.live_performance_licence else None,
        "type_siae": None,
    }
