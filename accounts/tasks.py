from accounts.retention import accounts_purge, invitations_purge, sessions_and_logs_purge


def purge_accounts() -> dict[str, int]:
    return accounts_purge()


def purge_sessions_and_logs() -> dict[str, int]:
    return sessions_and_logs_purge()


def purge_invitations() -> dict[str, int]:
    return invitations_purge()
