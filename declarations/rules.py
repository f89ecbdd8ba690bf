"""The rules every amount of a declaration follows, whatever the organism."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount_pair_error(excl_vat: Decimal | None, incl_vat: Decimal | None) -> str | None:
    """Why an excl./incl. VAT pair is inconsistent, or None: both are given, both zero or both
    non-zero, and the amount incl. VAT is not below the amount excl. VAT."""
    if excl_vat is None or incl_vat is None:
        return "Indiquez les deux montants, hors taxes et toutes taxes comprises."
    if excl_vat < 0 or incl_vat < 0:
        return "Un montant ne peut pas être négatif."
    if (excl_vat == 0) != (incl_vat == 0):
        return "Les deux montants doivent être nuls tous les deux, ou non nuls tous les deux."
    if incl_vat < excl_vat:
        return "Le montant TTC ne peut pas être inférieur au montant HT."
    return None


def expenses_error(
    expenses: tuple[Decimal, Decimal], *parts: tuple[Decimal, Decimal]
) -> str | None:
    """Total expenses include the introduction and circus fees, excl. and incl. VAT."""
    for index, label in ((0, "HT"), (1, "TTC")):
        if expenses[index] < sum((part[index] for part in parts), Decimal(0)):
            return (
                f"Les dépenses totales {label} doivent être au moins égales à la somme des frais "
                "d'approche et des frais spécifiques au cirque."
            )
    return None
