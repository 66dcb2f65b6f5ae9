"""The refusals of operator commands: one line for a person, and the exit status the CLI gives it.

They are SystemExit subclasses, as the operator functions always signalled a refusal: a script that calls
them without the CLI still ends with the message on stderr, and nothing below the CLI catches them by
mistake in an `except Exception`.
"""

from __future__ import annotations


class OperatorError(SystemExit):
    """A refusal: `message` names what is wrong and the accepted form; nothing was changed."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())  # one line, whatever the cause said

    def __str__(self) -> str:
        return self.message


class BadValue(OperatorError):
    """A value the operator gave is not accepted (a usage error: exit status 2)."""

    exit_code = 2


class NoTarget(OperatorError):
    """No deployment to talk to was named (a usage error: exit status 2)."""

    exit_code = 2


class Failed(OperatorError):
    """The command could not be done: nothing answers, or what it names does not exist (exit status 1)."""

    exit_code = 1


class NotOnboarded(Failed):
    def __init__(self, shop: str) -> None:
        super().__init__(
            f"shop {shop} is not onboarded: run `smsflows shop add {shop} ...` first"
            " (`smsflows shop add --help` lists what a shop needs)"
        )
        self.shop = shop


def one_line(exc: BaseException) -> str:
    """A validation error as one line: pydantic's errors as `field: message; ...`, others as their text."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        parts = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            text = str(error["msg"]).removeprefix("Value error, ")
            parts.append(f"{where}: {text}" if where and not text.startswith(f"{where}:") else text)
        return " ".join("; ".join(parts).split())
    return " ".join(str(exc).split())
