import pytest
from django.core.exceptions import ValidationError

from accounts.identifiers import (
    digits_only,
    format_siren,
    format_siret,
    luhn_valid,
    validate_siren,
    validate_siret,
    validate_siret_matches_siren,
)
from ticketing.sandbox.company_directory import COMPANIES


def messages(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return error.value.messages


def test_digits_only_removes_every_kind_of_space_dots_and_hyphens():
    assert digits_only("123 456\u00a0789\u202f00012") == "12345678900012"
    assert digits_only("123.456.789-00012") == "12345678900012"
    assert digits_only(" 123\t456 ") == "123456"
    assert digits_only("") == ""


@pytest.mark.parametrize("number", ["0", "18", "4532015112830366", "732829320", "73282932000074"])
def test_luhn_accepts_valid_numbers(number):
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["", "19", "732829321", "7328293200007", "12a4", "１８"])
def test_luhn_refuses_wrong_checksums_and_non_digits(number):
    assert not luhn_valid(number)


@pytest.mark.parametrize("value", ["732829320", "732 829 320", "732.829.320", "356000000"])
def test_valid_siren(value):
    validate_siren(value)


@pytest.mark.parametrize("value", ["", "73282932", "7328293201", "73282932A", "７３２８２９３２０"])
def test_siren_must_have_nine_digits(value):
    with pytest.raises(ValidationError) as error:
        validate_siren(value)
    assert messages(error) == ["Le numéro SIREN doit être composé de 9 chiffres."]
    assert error.value.code == "siren_length"


def test_siren_checksum():
    with pytest.raises(ValidationError) as error:
        validate_siren("732 829 321")
    assert messages(error) == ["Ce numéro SIREN n'est pas valide : vérifiez les chiffres saisis."]


@pytest.mark.parametrize("value", ["73282932000074", "732 829 320 00074", "732-829-320-00074"])
def test_valid_siret(value):
    validate_siret(value)


@pytest.mark.parametrize("value", ["", "7328293200007", "732829320000740", "7328293200007X"])
def test_siret_must_have_fourteen_digits(value):
    with pytest.raises(ValidationError) as error:
        validate_siret(value)
    assert messages(error) == ["Le numéro SIRET doit être composé de 14 chiffres."]


def test_siret_checksum():
    with pytest.raises(ValidationError) as error:
        validate_siret("73282932000075")
    assert messages(error) == ["Ce numéro SIRET n'est pas valide : vérifiez les chiffres saisis."]


def test_siret_whose_siren_part_is_invalid_is_refused_even_if_the_whole_passes_luhn():
    # 732829321 fails Luhn; 7328293210006 + a check digit passes it over 14 digits.
    siret = next(
        f"7328293210006{check}" for check in "0123456789" if luhn_valid(f"7328293210006{check}")
    )
    with pytest.raises(ValidationError):
        validate_siret(siret)


@pytest.mark.parametrize(
    "siret",
    [
        "35600000000048",  # head office: follows Luhn
        "35600000003120",  # post offices: digits add up to a multiple of 5, Luhn fails
        "356 000 000 05213",
    ],
)
def test_la_poste_sirets(siret):
    validate_siret(siret)


def test_la_poste_rule_is_really_needed_for_its_post_offices():
    assert not luhn_valid("35600000003120")
    assert sum(int(digit) for digit in "35600000003120") % 5 == 0


@pytest.mark.parametrize("siret", ["35600000012356", "35600000000049"])
def test_invalid_la_poste_sirets(siret):
    # Neither Luhn nor a digit sum multiple of 5.
    with pytest.raises(ValidationError):
        validate_siret(siret)


def test_the_la_poste_rule_only_applies_to_la_poste():
    # Digit sum 40, a multiple of 5, but neither Luhn nor La Poste's SIREN.
    assert not luhn_valid("73282932000004")
    with pytest.raises(ValidationError):
        validate_siret("73282932000004")


def test_siret_matches_siren():
    validate_siret_matches_siren("732 829 320 00074", "732829320")
    with pytest.raises(ValidationError) as error:
        validate_siret_matches_siren("73282932000074", "356000000")
    assert messages(error) == ["Le numéro SIRET doit commencer par le numéro SIREN."]


def test_formatting():
    assert format_siren("123456789") == "123 456 789"
    assert format_siren("123 456 789") == "123 456 789"
    assert format_siret("12345678900012") == "123 456 789 00012"
    assert format_siret("123 456 789 00012") == "123 456 789 00012"
    assert format_siret("123\u00a0456\u00a0789\u00a000012") == "123 456 789 00012"


def test_formatting_leaves_anything_else_unchanged():
    assert format_siren("12345") == "12345"
    assert format_siret("inconnu") == "inconnu"


def test_every_fake_company_has_valid_identifiers():
    for company in COMPANIES:
        validate_siren(company.siren)
        for establishment in company.establishments:
            validate_siret(establishment.siret)
            validate_siret_matches_siren(establishment.siret, company.siren)
