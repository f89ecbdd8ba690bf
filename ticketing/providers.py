"""What the connect form says for each provider: field labels and where to find the keys."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    access_label: str  # empty when the provider needs only a token
    secret_label: str
    where: str  # where the user finds the keys, one paragraph


PROVIDERS: dict[str, ProviderInfo] = {
    "billetweb": ProviderInfo(
        name="Billetweb",
        access_label="Identifiant de l'utilisateur de l'API (« User »)",
        secret_label="Clé de l'API (« Key »)",
        where=(
            "Dans Billetweb, ouvrez « Paramètres », puis « API » : l'identifiant « User » et la "
            "clé « Key » y figurent. Laissez le réglage des événements sur « Tous sélectionnés », "
            "sinon les spectacles créés ensuite ne seront pas lus."
        ),
    ),
    "mapado": ProviderInfo(
        name="Mapado",
        access_label="",
        secret_label="Jeton d'authentification",
        where=(
            "Dans Mapado, ouvrez les paramètres de votre compte, section « Applications », et "
            "créez un jeton d'accès personnel en lecture : copiez-le ici."
        ),
    ),
    "supersoniks": ProviderInfo(
        name="Supersoniks",
        access_label="Nom de domaine de votre billetterie",
        secret_label="Jeton d'accès (commence par « ey »)",
        where=(
            "Le nom de domaine est l'adresse de votre billetterie en ligne, sans « https:// » "
            "(par exemple billetterie.masalle.fr). Le jeton d'accès vous est fourni par "
            "Supersoniks sur demande."
        ),
    ),
    "soticket": ProviderInfo(
        name="SoTicket",
        access_label="Nom de domaine de votre billetterie",
        secret_label="Jeton d'accès (commence par « ey »)",
        where=(
            "Le nom de domaine est l'adresse de votre billetterie SoTicket, sans « https:// ». "
            "Demandez le jeton d'accès à l'assistance de SoTicket."
        ),
    ),
    "helloasso": ProviderInfo(
        name="HelloAsso",
        access_label="Identifiant du client de l'API (« Client ID »)",
        secret_label="Secret du client de l'API (« Client secret »)",
        where=(
            "Dans HelloAsso, ouvrez « Mon compte », puis « Intégrations et API » : créez ou "
            "copiez le couple « Client ID » et « Client secret »."
        ),
    ),
    "shotgun": ProviderInfo(
        name="Shotgun",
        access_label="Identifiant de l'organisateur",
        secret_label="Jeton de l'API",
        where=(
            "Dans Shotgun Smartboard, ouvrez « Paramètres », puis « Intégrations » : "
            "l'identifiant de l'organisateur et le jeton de l'API y sont affichés."
        ),
    ),
}
