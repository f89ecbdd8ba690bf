from django.conf import settings


def password_policy() -> str:
    """The password rule as users read it: on every password field and in the terms of use.

    It describes AUTH_PASSWORD_VALIDATORS; keep both in step.
    """
    return (
        f"Votre mot de passe doit contenir au moins {settings.PASSWORD_MIN_LENGTH} caractères, "
        "ne pas être entièrement numérique, ne pas être trop courant ni trop proche de vos nom, "
        "prénom ou adresse e-mail."
    )
