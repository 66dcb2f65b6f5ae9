"""RULES.md A5.2: the inbound classifier, over real-world replies."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.consent.keywords import Intent, classify

OUT, IN, HELP, YES, RATE, MSG = (
    Intent.OPT_OUT,
    Intent.OPT_IN,
    Intent.HELP,
    Intent.CONFIRM,
    Intent.RATING,
    Intent.MESSAGE,
)

# (reply, intent, flagged for review)
CASES = [
    # exact keywords, any case, spacing, punctuation
    ("STOP", OUT, False), ("stop", OUT, False), ("Stop", OUT, False), ("  stop  ", OUT, False),
    ("STOP.", OUT, False), ("Stop!!!", OUT, False), ("S T O P", OUT, False), ("s.t.o.p", OUT, False),
    ("STOPALL", OUT, False), ("stop all", OUT, False), ("UNSUBSCRIBE", OUT, False), ("Unsubscribe.", OUT, False),
    ("CANCEL", OUT, False), ("END", OUT, False), ("QUIT", OUT, False), ("REVOKE", OUT, False),
    ("OPT OUT", OUT, False), ("optout", OUT, False), ("Opt-Out", OUT, False), ("STOP\n", OUT, False),
    # keyword plus politeness
    ("stop please", OUT, False), ("STOP PLEASE", OUT, False), ("Stop now", OUT, False), ("stop thanks", OUT, False),
    ("STOP 🛑", OUT, False), ("Stop texting me", OUT, False), ("unsubscribe me please", OUT, False),
    # keyword plus something else: suppress, but a person should look
    ("cancel my order", OUT, True), ("Stop sending me deals, I already bought one", OUT, True),
    ("end this", OUT, False), ("Quit it", OUT, False),
    # phrases (FCC: any reasonable means)
    ("please stop", OUT, True), ("Please remove me from this list", OUT, True), ("remove me", OUT, False),
    ("take me off your list", OUT, True), ("no more texts", OUT, True), ("No more messages pls", OUT, True),
    ("don't text me again", OUT, True), ("Do not text this number", OUT, True), ("wrong number", OUT, True),
    ("I want to unsubscribe", OUT, True), ("can you stop these", OUT, True), ("not interested", OUT, True),
    ("leave me alone", OUT, True), ("🛑", OUT, True),
    # Spanish and French
    ("BAJA", OUT, False), ("baja por favor", OUT, False), ("Parar", OUT, False), ("ALTO", OUT, False),
    ("Cancelar", OUT, False), ("no más mensajes", OUT, False), ("Dejen de enviarme mensajes", OUT, True),
    ("ARRET", OUT, False), ("Arrêt", OUT, False), ("arrêter", OUT, False), ("STOP svp", OUT, False),
    ("désabonner", OUT, False), ("Je ne veux plus recevoir de messages", OUT, True),
    # help
    ("HELP", HELP, False), ("help", HELP, False), ("Help!", HELP, False), ("INFO", HELP, False),
    ("help please", HELP, False), ("AYUDA", HELP, False), ("aide", HELP, False),
    # opt in
    ("START", IN, False), ("start", IN, False), ("UNSTOP", IN, False), ("join", IN, False), ("VIP", IN, False),
    ("Vip!", IN, False),
    # yes to a pending double opt-in
    ("Y", YES, False), ("YES", YES, False), ("yes", YES, False), ("Yes!", YES, False), ("sí", YES, False),
    ("oui", YES, False),
    # ratings
    ("5", RATE, False), ("1", RATE, False), ("10", RATE, False), (" 4 ", RATE, False),
    # everything else is a conversation for the shop
    ("Where is my order?", MSG, False), ("What time do you open?", MSG, False), ("the end?", MSG, False),
    ("Ending soon?", MSG, False), ("endless summer dress in M?", MSG, False), ("👍", MSG, False),
    ("Thanks!", MSG, False), ("11", MSG, False), ("10 stars", MSG, False), ("", MSG, False),
    ("stopwatch in stock?", MSG, False), ("helpful, thanks", MSG, False), ("Starting Monday?", MSG, False),
    ("JOINT pain cream?", MSG, False),
]  # fmt: skip


def test_the_table_is_large_enough():
    assert len(CASES) >= 60


@pytest.mark.parametrize(("reply", "intent", "review"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_reply_classification(reply, intent, review):
    result = classify(reply, shop_keywords=["JOIN", "VIP"])
    assert result.intent is intent, result
    if intent is OUT:
        assert result.review is review, result


def test_shop_keywords_are_per_shop():
    assert classify("VIP").intent is MSG
    assert classify("VIP", ["vip"]).intent is IN


def test_ratings_carry_the_number():
    assert classify("4").rating == 4


@given(st.text(max_size=160))
def test_classification_never_raises_and_any_stop_word_suppresses(text):
    result = classify(text)
    if "stop" in text.casefold().split():
        assert result.intent is OUT
