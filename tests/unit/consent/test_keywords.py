"""RULES.md A5.2: the inbound classifier, over real-world replies."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.consent.keywords import Intent, classify
from tests.ids import safe_id

HARD, POSSIBLE, FLAGGED, CONVO = "hard", "possible", "flagged", "conversation"
HELP, IN, YES, RATE = "help", "opt_in", "confirm", "rating"


def outcome(result) -> str:
    if result.intent is Intent.OPT_OUT:
        return HARD if result.certain else POSSIBLE
    if result.intent is Intent.MESSAGE:
        return FLAGGED if result.review else CONVO
    return result.intent.value


# (reply, outcome): hard = opt out with the one confirmation; possible = suppressed for review, no text;
# flagged = a conversation a person should read; conversation = nothing to do with consent.
CASES = [
    # exact keywords, any case, spacing, punctuation
    ("STOP", HARD), ("stop", HARD), ("Stop", HARD), ("  stop  ", HARD), ("STOP.", HARD), ("Stop!!!", HARD),
    ("S T O P", HARD), ("s.t.o.p", HARD), ("STOPALL", HARD), ("stop all", HARD), ("UNSUBSCRIBE", HARD),
    ("Unsubscribe.", HARD), ("CANCEL", HARD), ("END", HARD), ("QUIT", HARD), ("REVOKE", HARD), ("OPT OUT", HARD),
    ("optout", HARD), ("Opt-Out", HARD), ("STOP\n", HARD), ("ＳＴＯＰ", HARD), ("TD", HARD), ("REMOVE", HARD),
    # keyword plus politeness, emoji, anger
    ("stop please", HARD), ("STOP PLEASE", HARD), ("Stop now", HARD), ("stop thanks", HARD), ("STOP 🛑", HARD),
    ("Stop texting me", HARD), ("unsubscribe me please", HARD), ("ok STOP", HARD), ("i said stop", HARD),
    ("STOP STOP STOP", HARD), ("end this", HARD), ("Quit it", HARD), ("please stop", HARD), ("🛑", HARD),
    # one typing slip: doubled, dropped, swapped letters, digits for letters
    ("sstop", HARD), ("stopp", HARD), ("stpo", HARD), ("stp", HARD), ("st0p", HARD), ("STOOOOP", HARD),
    ("unsubscrbe", HARD), ("unsubscr1be", HARD), ("unsubcribe", HARD), ("cancell", HARD), ("cancle", HARD),
    ("qiut", HARD), ("revokee", HARD), ("optoutt", HARD), ("otp out", HARD), ("$top", HARD),
    # plain intent in a sentence (FCC: any reasonable means)
    ("count me out of these texts", HARD), ("I'd like to be taken off this list", HARD),
    ("please quit texting", HARD), ("I'm done with these messages", HARD), ("I don't want these anymore", HARD),
    ("Please remove me from this list", HARD), ("remove me", HARD), ("take me off your list", HARD),
    ("no more texts", HARD), ("No more messages pls", HARD), ("don't text me again", HARD),
    ("Do not text this number", HARD), ("wrong number", HARD), ("I want to unsubscribe", HARD),
    ("can you stop these", HARD), ("not interested", HARD), ("leave me alone", HARD), ("how do I opt out?", HARD),
    ("I want my number deleted", HARD), ("lose my number", HARD), ("I want out", HARD),
    ("I withdraw my consent", HARD), ("can u not text me anymore", HARD), ("I'd rather not get texts anymore", HARD),
    ("Stop sending me deals, I already bought one", HARD),
    # Spanish, French, Portuguese, Chinese, Malay
    ("BAJA", HARD), ("baja por favor", HARD), ("Parar", HARD), ("ALTO", HARD), ("Cancelar", HARD),
    ("no más mensajes", HARD), ("Dejen de enviarme mensajes", HARD), ("ya no quiero mensajes", HARD),
    ("quiero darme de baja", HARD), ("quítenme de la lista", HARD), ("ARRET", HARD), ("Arrêt", HARD),
    ("arrêter", HARD), ("STOP svp", HARD), ("désabonner", HARD), ("Je ne veux plus recevoir de messages", HARD),
    ("arrêtez les messages svp", HARD), ("retirez-moi de votre liste", HARD), ("não quero mais mensagens", HARD),
    ("parem de me mandar mensagem", HARD), ("me tira da lista", HARD), ("退订", HARD), ("取消订阅", HARD),
    ("不要再发短信了", HARD), ("退訂", HARD), ("berhenti", HARD), ("tolong berhenti hantar mesej", HARD),
    ("jangan hantar mesej lagi", HARD), ("saya tak nak terima mesej lagi", HARD),
    # complaints: suppressed for review, no confirmation text
    ("this is a lot of texts", POSSIBLE), ("why am I getting these?", POSSIBLE), ("this is spam", POSSIBLE),
    ("I never signed up for this", POSSIBLE), ("how did you get my number", POSSIBLE),
    ("stop whatever this is", POSSIBLE), ("I don't want this", POSSIBLE),
    # keywords used as ordinary words: conversations a person reads, never suppressed
    ("what's the end date of the promo?", FLAGGED), ("will you stop by the store?", FLAGGED),
    ("cancel my order", FLAGGED), ("can I cancel my order? wrong size", FLAGGED), ("the end?", FLAGGED),
    ("I can't stop buying your candles lol", FLAGGED), ("can you stop the shipment?", FLAGGED),
    ("who is this", FLAGGED),
    # help
    ("HELP", HELP), ("help", HELP), ("Help!", HELP), ("INFO", HELP), ("help please", HELP), ("AYUDA", HELP),
    ("aide", HELP),
    # opt in
    ("START", IN), ("start", IN), ("UNSTOP", IN), ("join", IN), ("VIP", IN), ("Vip!", IN),
    # yes to a pending double opt-in
    ("Y", YES), ("YES", YES), ("yes", YES), ("Yes!", YES), ("sí", YES), ("oui", YES),
    # ratings
    ("5", RATE), ("1", RATE), ("10", RATE), (" 4 ", RATE),
    # everything else is a conversation for the shop
    ("Where is my order?", CONVO), ("What time do you open?", CONVO), ("is the sale ending soon", CONVO),
    ("Ending soon?", CONVO), ("endless summer dress in M?", CONVO), ("👍", CONVO), ("Thanks!", CONVO),
    ("11", CONVO), ("10 stars", CONVO), ("", CONVO), ("stopwatch in stock?", CONVO), ("helpful, thanks", CONVO),
    ("Starting Monday?", CONVO), ("JOINT pain cream?", CONVO), ("Shop", CONVO), ("quite nice", CONVO),
    ("Take 20% off my order?", CONVO), ("I don't get it", CONVO), ("I didn't get a text with my code", CONVO),
    ("I don't want these shoes anymore, can I return them?", CONVO), ("why don't you text me when it ships", CONVO),
    ("Also", CONVO), ("take the quiz", CONVO), ("Do not send it to my old address", CONVO),
    ("dont send the package yet", CONVO), ("Send me the link again", CONVO),
]  # fmt: skip


def test_the_table_is_large_enough():
    assert len(CASES) >= 150


@pytest.mark.parametrize(("reply", "expected"), CASES, ids=[safe_id(c[0]) for c in CASES])
def test_reply_classification(reply, expected):
    result = classify(reply, shop_keywords=["JOIN", "VIP"])
    assert outcome(result) == expected, result


def test_a_revocation_with_more_to_read_is_confirmed_and_flagged():
    result = classify("Stop sending me deals, I already bought one")
    assert (result.intent, result.certain, result.review) == (Intent.OPT_OUT, True, True)
    assert classify("STOP").review is False


def test_shop_keywords_are_per_shop():
    assert classify("VIP").intent is Intent.MESSAGE
    assert classify("VIP", ["vip"]).intent is Intent.OPT_IN


def test_ratings_carry_the_number():
    assert classify("4").rating == 4


@given(st.text(max_size=160))
def test_classification_never_raises_and_a_stop_on_its_own_always_suppresses(text):
    classify(text)
    for framed in (f"{text}\nSTOP", f"STOP. {text}", f"{text}. Stop!"):
        assert classify(framed).intent is Intent.OPT_OUT, framed


@given(st.text(max_size=60), st.sampled_from(["STOP", "stop please", "Unsubscribe", "退订", "BAJA", "arrêt"]))
def test_a_keyword_reply_stays_a_hard_opt_out_whatever_emoji_and_spacing_surround_it(noise, keyword):
    # punctuation, emoji, spaces; not "$" and "@", which stand for letters ("$top", "st@p")
    padding = "".join(ch for ch in noise if not ch.isalnum() and ch not in "$@")
    assert outcome(classify(f"{padding}{keyword}{padding}")) == HARD


@pytest.mark.parametrize(
    "text",
    [
        "㋀STOP㋀",  # NFKC makes "1月" of the symbol: it must not glue onto STOP
        "STOP™",
        "0\x1e>. Stop!",  # a record separator is no line break: the STOP is not a quoted line
        "hi\x1c> STOP",
    ],
)
def test_symbols_that_normalise_to_letters_and_control_characters_hide_no_stop(text):
    """Found by the property tests above (hypothesis): opt-outs the classifier missed (RULES.md A5)."""
    assert classify(text).intent is Intent.OPT_OUT, text
