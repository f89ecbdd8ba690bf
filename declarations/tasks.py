"""Thin django-q2 tasks: they take ids and call the services."""

from declarations.transmission import transmission_run as _run


def transmission_run(transmission_id: int) -> None:
    _run(transmission_id)
