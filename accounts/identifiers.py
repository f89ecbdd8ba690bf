"""SIREN and SIRET numbers: clean-up, checksum validation and display.

The validators raise Django's ValidationError with French messages, so forms and model
fields can use them directly.
"""

import re

from django.core.exceptions import ValidationError

SIREN_LENGTH = 9
SIRET_LENGTH = 14
# La Poste registered all its post offices under one SIREN; their SIRETs use their own
# checksum (the sum of the 14 digits is a multiple of 5), except the head office's
# 356 000 000 00048, which follows Luhn like every other SIRET.
LA_POSTE_SIREN = "356000000"

# Spaces of every kind (including no-break and narrow no-break), dots and hyphens.
_SEPARATORS = re.compile(r"[\s\u00a0\u202f.\-]")


def digits_only(value: str) -> str:
    return _SEPARATORS.sub("", value or "")


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for position, character in enumerate(reversed(digits)):
        digit = int(character)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _is_digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


def validate_siren(value: str) -> None:
    siren = digits_only(value)
    if not _is_digits(siren, SIREN_LENGTH):
        raise ValidationError(
            "Le numéro SIREN doit être composé de 9 chiffres.", code="siren_length"
        )
    if not luhn_valid(siren):
        raise ValidationError(
            "Ce numéro SIREN n'est pas valide : vérifiez les chiffres saisis.",
            code="siren_checksum",
        )


def _siret_checksum_valid(siret: str) -> bool:
    if luhn_valid(siret):
        return True
    return siret.startswith(LA_POSTE_SIREN) and sum(int(digit) for digit in siret) % 5 == 0


def validate_siret(value: str) -> None:
    siret = digits_only(value)
    if not _is_digits(siret, SIRET_LENGTH):
        raise ValidationError(
            "Le numéro SIRET doit être composé de 14 chiffres.", code="siret_length"
        )
    if not luhn_valid(siret[:SIREN_LENGTH]) or not _siret_checksum_valid(siret):
        raise ValidationError(
            "Ce numéro SIRET n'est pas valide : vérifiez les chiffres saisis.",
            code="siret_checksum",
        )


def validate_siret_matches_siren(siret: str, siren: str) -> None:
    if digits_only(siret)[:SIREN_LENGTH] != digits_only(siren):
        raise ValidationError(
            "Le numéro SIRET doit commencer par le numéro SIREN.", code="siret_siren_mismatch"
        )


def format_siren(value: str) -> str:
    """'123456789' → '123 456 789'; anything that is not 9 digits is returned unchanged."""
    siren = digits_only(value)
    if not _is_digits(siren, SIREN_LENGTH):
        return value
    return f"{siren[:3]} {siren[3:6]} {siren[6:]}"


def format_siret(value: str) -> str:
    """'12345678900012' → '123 456 789 00012'; anything that is not 14 digits is unchanged."""
    siret = digits_only(value)
    if not _is_digits(siret, SIRET_LENGTH):
        return value
    return f"{format_siren(siret[:SIREN_LENGTH])} {siret[SIREN_LENGTH:]}"
