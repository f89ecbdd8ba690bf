from accounts.retention import accounts_purge


def purge_accounts() -> dict[str, int]:
    return accounts_purge()
