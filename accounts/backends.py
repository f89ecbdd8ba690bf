from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Authenticates by e-mail whatever its case (the user model's natural key is case-insensitive).

    Inactive users (e-mail not yet confirmed, or deactivated) are refused by ModelBackend.
    """
