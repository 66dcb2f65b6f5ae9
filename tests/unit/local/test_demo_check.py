"""The demo's own check of the outbox: exactly the expected texts, each once, to the right people, in each
person's order (texts to different people may interleave)."""

from smsflows.local.demo import ADA, BOB, EXPECTED, Line, outbox_matches, render

TEXTS = [(to, f"Demo Shop: {phrase}") for to, phrase in EXPECTED]


def test_the_expected_outbox_matches_and_people_may_interleave():
    assert outbox_matches(TEXTS)
    bob_first = [t for t in TEXTS if t[0] == BOB] + [t for t in TEXTS if t[0] != BOB]
    assert bob_first != TEXTS and outbox_matches(bob_first)


def test_a_persons_texts_out_of_order_a_duplicate_a_missing_text_or_the_wrong_person_fail():
    ada = [i for i, (to, _) in enumerate(TEXTS) if to == ADA]
    swapped = list(TEXTS)
    swapped[ada[2]], swapped[ada[3]] = swapped[ada[3]], swapped[ada[2]]  # shipped before the confirmation
    assert not outbox_matches(swapped)
    assert not outbox_matches([*TEXTS, (BOB, "Demo Shop: Welcome to Demo Shop! Here's 10% off")])
    assert not outbox_matches(TEXTS[:-1])
    assert not outbox_matches([(ADA if to == BOB else BOB, body) for to, body in TEXTS])


def test_the_timeline_puts_events_before_the_texts_they_caused_and_fits_100_columns():
    from datetime import datetime

    from smsflows.local.demo import AUSTIN

    at = datetime(2026, 11, 23, 9, 30, 20, tzinfo=AUSTIN)
    lines = render([Line(at, 1, "Ada", "Demo Shop: " + "word " * 60), Line(at.replace(second=0), 0, "Ada",
                    "starts a checkout", "subscribed at checkout")])  # fmt: skip
    assert lines[0].startswith("Mon 09:30  Ada     starts a checkout")
    assert lines[1].strip() == "→ subscribed at checkout"
    assert lines[2].startswith("Mon 09:30  Ada     ◀ text: Demo Shop: word")
    assert len(lines) > 3 and all(len(line) <= 100 for line in lines)
