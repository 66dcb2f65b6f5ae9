"""The event the work at hand is about, from the webhook to the text (and into the message log).

Each handler sets it for the event it works on (`shopify:<webhook id>`, or a message's own id); the domain
reads it where it creates what follows (a text, a flow's input), and the log serializer writes it into every
record. A context variable, so that threads (the local cloud runs functions in threads) keep their own."""

from __future__ import annotations

from contextvars import ContextVar

current: ContextVar[str | None] = ContextVar("correlation_id", default=None)
