from accounts.models.organisations import (
    AccessRequest,
    Invitation,
    Membership,
    Organisation,
    Role,
)
from accounts.models.users import User, UserManager, UserSession, new_security_stamp

__all__ = [
    "AccessRequest",
    "Invitation",
    "Membership",
    "Organisation",
    "Role",
    "User",
    "UserManager",
    "UserSession",
    "new_security_stamp",
]
