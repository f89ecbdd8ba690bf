"""Demo accounts created by `make run` (never in production). No Django import here."""

DEMO_EMAIL = "demo@assistant-declaration.local"
ADMIN_EMAIL = "admin@assistant-declaration.local"
COLLEAGUE_EMAIL = "collegue@assistant-declaration.local"
DEMO_PASSWORD = "Spectacle-demo-2026"

# The demo user's organisation: the company the fake company directory answers for
# `ticketing.sandbox.company_directory.DEMO_COMPANY_SIREN`, at the head-office address the fake
# address base knows. The demo user owns it; the colleague is a member.
DEMO_ORGANISATION_NAME = "Théâtre de la Lune Rousse"
DEMO_ORGANISATION_SIREN = "784125635"
DEMO_ORGANISATION_SIRET = "78412563500028"
DEMO_ORGANISATION_STREET = "12 Rue de la Martinière"
DEMO_ORGANISATION_POSTAL_CODE = "69001"
DEMO_ORGANISATION_CITY = "Lyon"
# Its organisms' identifiers: the SACD sandbox knows this declarant
# (`ticketing.sandbox.sacd.DEMO_DECLARANT`), so the demo can teletransmit.
DEMO_ORGANISATION_SACEM_ID = "4242"
DEMO_ORGANISATION_SACD_ID = "1234567"
