"""What a revocation leaves as proof (RULES.md A8.1): the reply's exact text, and the classifier's decision —
which keyword, whether it was certain or only possible, whether a person must look — on the ledger event, and
a possible revocation kept for review with the reply that made it."""

from __future__ import annotations

import pytest

from smsflows.domain.consent.keywords import classify
from smsflows.domain.consent.subscriptions import handle_inbound
from tests.unit.consent.test_consent_domain import PHONE, SHOP, deps, sms


@pytest.mark.parametrize(
    "body", ["STOP", "stop please", "Please take me off this list", "why am I getting these?"]
)
def test_the_ledger_keeps_the_reply_and_the_classifiers_decision(body):
    d = deps()
    found = classify(body, ("JOIN",))
    assert found.intent.name == "OPT_OUT", f"not a revocation to the classifier: {body!r}"
    handle_inbound(sms(body, "SMproof1"), d)
    [event] = [e for e in d.store.events(SHOP, PHONE) if e.kind == "opt_out"]
    expected = (f"opt_out:{found.keyword}" + ("" if found.certain else " (possible)")
                + (" (review)" if found.review else ""))  # fmt: skip
    assert (event.classifier, event.raw_text, event.review) == (expected, body, found.review)
    assert event.source == "keyword" and event.message_sid == "SMproof1"
    review = d.conversations.items.get("SMproof1")
    if found.review:
        assert review == {**review, "shop": SHOP, "phone": PHONE, "body": body, "kind": "opt_out_review",
                          "review": True}  # fmt: skip
    else:
        assert review is None or review["kind"] != "opt_out_review"


def test_both_kinds_of_decision_are_exercised():
    """The cases above cover a certain revocation and a possible one flagged for review (else the labels'
    two halves would go untested)."""
    decisions = {
        (classify(b, ()).certain, classify(b, ()).review) for b in ["STOP", "why am I getting these?"]
    }
    assert (True, False) in decisions and any(not certain and review for certain, review in decisions)
