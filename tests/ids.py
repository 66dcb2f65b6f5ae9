"""Test ids that survive a command line (see tests/conftest.py `pytest_make_parametrize_id`)."""


def safe_id(val: str) -> str:
    """ASCII letters, digits and a little punctuation; anything else as UXXXX; at most 60 characters."""
    safe = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in " _.,:+-'") else f"U{ord(ch):04X}" for ch in val
    )
    return safe[:60] or "empty"
