"""Demo accounts created by `make run` (never in production). No Django import here."""

DEMO_EMAIL = "demo@assistant-declaration.local"
ADMIN_EMAIL = "admin@assistant-declaration.local"
DEMO_PASSWORD = "Spectacle-demo-2026"
