"""Clients of the organisms' web services (SACD, SIBIL): dataclasses in and out, no ORM."""
