"""How the platform names a user, on pages, in messages and in the ledgers."""


def display_name(user) -> str:
    """The name the user was given (first_name holds the whole Chinese name), else the account; "" for nobody, so
    the caller says what nobody means there (imported, the system, —)."""
    if user is None:
        return ""
    return user.first_name or user.get_username()
