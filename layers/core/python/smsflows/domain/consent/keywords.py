"""Classify an inbound SMS: opt-out, opt-in, help, a yes to a pending opt-in, a rating, or a conversation.

RULES.md A5 (FCC 24-24): consent is revoked by *any reasonable means*. The per-se keywords (STOP, QUIT, END,
REVOKE, OPT OUT, CANCEL, UNSUBSCRIBE, and the carriers' STOPALL, AWS's ARRET, REMOVE and TD) revoke alone or
with politeness around them; so does any wording a reasonable person reads as "stop texting me", in any of
the languages the shoppers of these stores use (English, Spanish, French, Portuguese, Chinese, Malay), and
with the typing a phone produces (one slipped, doubled or dropped letter, digits for letters, shouting).

The classifier reads *concepts*, not sentences: a word that stops (stop, quit, arrêtez, berhenti ...), a
word that sends (text, send, mandar, hantar ...), a message (texts, mensajes, mesej ...), a negation and a
wish (don't want, ya no quiero, ne veux plus ...), a removal (take me off, quítenme, me tira da lista ...).
A revocation is one of a few shapes over those concepts; the lexicons are the only language-specific part.

Three answers to "is this a revocation?" (RULES.md A5.2):
- **certain** -> opt out and send the one confirmation (A5.1);
- **possible** (a complaint about the texts, a keyword in an unclear sentence) -> suppress, send nothing,
  and ask a person to read it: sending less is never the violation, a wrong "you're unsubscribed" is a
  lost subscriber;
- **a keyword used as an ordinary word** ("will you stop by the store?", "what's the end date?", "cancel my
  order") -> a conversation, flagged for a person when the word is a per-se keyword, never suppressed:
  a reasonable person does not read it as revocation.
A3/A4: START, UNSTOP (and per-shop keywords) opt in; HELP and INFO get the help text; YES/Y confirm a
pending double opt-in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"  # START, UNSTOP or a shop keyword
    CONFIRM = "confirm"  # Y / YES: confirms a pending double opt-in, nothing otherwise
    HELP = "help"
    RATING = "rating"
    MESSAGE = "message"


@dataclass(frozen=True)
class Classification:
    intent: Intent
    keyword: str | None = None  # what decided it: the keyword, or the shape and the words that matched
    review: bool = False  # a person should read it
    rating: int | None = None
    certain: bool = True  # for OPT_OUT: False = suppressed for review, no confirmation text


# ---------------------------------------------------------------------------------------------------
# Lexicons (after normalise(): case-folded, accents stripped, contractions expanded, digits for letters read)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Per-se revocation keywords alone in a reply (FCC 24-24, CTIA, Twilio, AWS) and their translations.
KEYWORDS: dict[str, str] = {
    # English: the FCC's per-se list, CTIA/aggregators' STOPALL, AWS's REMOVE
    "stop": "STOP", "stopall": "STOPALL", "stop all": "STOPALL", "unsubscribe": "UNSUBSCRIBE", "unsub": "UNSUBSCRIBE",
    "cancel": "CANCEL", "cancel all": "CANCEL", "end": "END", "quit": "QUIT", "revoke": "REVOKE", "opt out": "OPTOUT",
    "optout": "OPTOUT", "remove": "REMOVE", "no more": "STOP", "enough": "STOP",
    # Spanish
    "baja": "BAJA", "de baja": "BAJA", "parar": "PARAR", "alto": "ALTO", "detener": "PARAR", "cancelar": "CANCELAR",
    "basta": "BASTA", "no mas": "BASTA", "para": "PARAR", "paren": "PARAR", "desuscribir": "BAJA",
    # French
    "arret": "ARRET", "arreter": "ARRET", "arretez": "ARRET", "annuler": "ANNULER", "desabonner": "DESABONNER",
    "desinscrire": "DESABONNER", "desabonnement": "DESABONNER", "desinscription": "DESABONNER",
    # Portuguese
    "pare": "PARAR", "parem": "PARAR", "sair": "SAIR", "chega": "BASTA", "remover": "REMOVER",
    "descadastrar": "DESCADASTRAR",
    # Malay / Indonesian
    "berhenti": "BERHENTI", "henti": "BERHENTI", "hentikan": "BERHENTI", "nyahlanggan": "BERHENTI",
    "nyah langgan": "BERHENTI", "berhenti langganan": "BERHENTI", "berhenti berlangganan": "BERHENTI",
    "stop la": "STOP",
    # The Chinese carriers' unsubscribe code (on AWS's required list); German and Italian keywords
    "td": "TD", "t d": "TD", "dnc": "STOP", "stahp": "STOP", "stawp": "STOP", "stopp": "STOP", "abmelden": "ABMELDEN",
    "abbestellen": "ABMELDEN", "basta cosi": "BASTA",
}  # fmt: skip
# Chinese has no spaces: substrings, in simplified and traditional characters; each asks to stop.
CHINESE = (
    "退订", "退訂", "取消订阅", "取消訂閱", "退订阅", "不要再发", "不要再發", "别再发", "別再發", "不要发", "不要發",
    "别发", "別發", "停止发送", "停止發送", "停止", "退出", "拒收", "不想收到", "不想再收到", "不再接收", "别烦我",
    "別煩我", "删除", "刪除", "移除", "删掉", "刪掉", "删了我",
    "取消", "不要短信", "不需要", "别给我发", "別給我發", "不要给我发", "不要給我發",
    "不要再联系", "別再聯繫", "别再联系",
)  # fmt: skip
# Words that may surround a keyword without changing its meaning ("stop please", "STOP now!!", "ok stop").
FILLER = _words(
    "please now thanks thank you ty tq ok okay k just already asap immediately right away all it this that them "
    "these those omg ugh lol hey hi hello yo seriously really dude man guys sir maam again anymore forever at once "
    "and but so oh i said say to me my us texts text messages message sms texting messaging sending calling "
    "contacting emails notifications promos number this number plz pls "
    "por favor porfa porfavor gracias ya ahora mismo merci svp sil vous plait stp maintenant obrigado obrigada agora "
    "tolong sila terima kasih lah je la bitte danke grazie mensajes mensaje textos mensagens mensagem mesej "
    "pesanan pesan sudah dah"
)
# A word that asks to stop or end something (inflections that need a sending word right after are separate).
CEASE = _words(
    "stop quit cease end halt discontinue pause cancel kill block refrain desist abstain shut chill ceasefire "
    "anular anulen "
    "paren parar detengan detener basta cancelar cancela cancelen "
    "arretez arrete arreter arretes cessez cesser cesse stoppez annuler annulez "
    "parem parar cancelem cancele "
    "berhenti henti hentikan stopkan batalkan "
    "aufhoren smettete smettila smetti"
)
CEASED = _words("stopped stopping quitting ceased ended ending quits stops")  # "if you stopped texting"
CEASE_WITH_DE = _words("dejen deja dejar dejes para pare deixem deixe deixa")  # "dejen de", "para de"
# Sending / contacting verbs.
SEND = _words(
    "text texting texted send sending message messaging contact contacting email emailing spam spamming "
    "bother bothering harass harassing call calling ping pinging hmu blowing bugging pestering hitting "
    "enviar envien envie enviarme envies enviando mandar manden mande mandarme mandes mandando escribir escriban "
    "escribirme escribe contactar contacten molestar molesten "
    "envoyer envoyez envoie ecrire ecrivez contacter harceler spammer "
    "mandem mandarem enviem escrever contatar incomodar manda envia "
    "hantar hantarkan menghantar kirim kirimkan mengirim sms mesej "
    "senden schicken schreiben mandare inviare scrivere"
)
RECEIVE = _words(
    "receive receiving get getting hear hearing recibir recibo llegando recevoir recois receber recebo chegando "
    "terima menerima dapat"
)
# What is sent.
MESSAGE = _words(
    "text texts message messages sms smss texting notifications notification alerts alert promos promo "
    "promotions promotion marketing offers emails spam subscription subscriptions newsletter newsletters "
    "mensajes mensaje textos texto promociones notificaciones correos suscripcion msjs msj mjs "
    "notifications offres abonnement textos "
    "mensagens mensagem torpedos promocoes notificacoes assinatura subscricao "
    "mesej pesanan pesan iklan promosi langganan "
    "nachrichten werbung messaggi"
)
DEMONSTRATIVE = _words("these this them those it that estos esto eso ces ca isso isto ini itu")
MORE = _words("anymore again more plus mais lagi mas longer further ever no pu nada")
NO_MORE = _words("no nada plus pu chega basta enough nao")
NEGATION = _words(
    "not no never nolonger nunca ne n nao nem tak tidak jangan x tk gak nggak ga nicht kein keine non mai "
    "jamais pas pu"
)
IMPERATIVE_NEGATION = _words(
    "never no nolonger jangan nao ne n tak tidak nicht non mai nunca jamais gak nggak"
)
BETWEEN = _words(
    "ever again please you u to more mas mais plus lagi me vuelvan vuelvas vuelva a voltem volte usah"
)
SUBJECT = _words("i you we they he she it who")
WANT = _words(
    "want wanna need wish like care prefer rather interested request asked "
    "quiero quiere queremos deseo necesito veux veut voulons "
    "souhaite souhaitons quero queremos desejo preciso nak mahu mau ingin will mochte brauche voglio"
)
# Removing oneself: "take me off", "remove my number", "count me out", "quítenme de la lista".
REMOVE = _words(
    "remove take delete drop erase get count unlist unenroll unregister exclude lose scratch wipe forget bin ditch "
    "trash toss unsign deregister sign "
    "quitar quitame quitenme quiten sacar sacame saquenme saquen borrar borrame borren eliminar eliminame "
    "eliminen elimine retirer retirez retire enlever enlevez supprimer supprimez "
    "remover remova removam tirar tire tira tirem excluir exclua apagar apaguem "
    "buang keluarkan padam padamkan hapus hapuskan entfernen austragen loschen"
)
# Removal verbs that need no "off the list": "remove me", "delete my number", "supprimez mon numéro".
REMOVE_ALONE = (
    "remov", "delet", "eras", "unlist", "unenrol", "unregist", "wipe", "elimin", "borr", "supprim", "enlev",
    "retir", "apag", "exclu", "padam", "buang", "keluarkan", "quit", "saca", "saqu", "tir", "loschen", "hapus",
    "forget", "bin", "ditch", "trash", "toss", "lose", "unsign", "dereg",
)  # fmt: skip
PASSIVE = _words(
    "removed taken deleted dropped erased wiped eliminado borrado supprime retire removido apagado"
)
LEAVE = _words("leave salir sair sortir keluar out off")  # "quiero salir de la lista", "I want off this list"
ME = _words("me us moi mim saya aku sy nous")
POSSESSIVE = _words("my our mi mis mon ma mes meu minha this the that")
OBJECT_NOUN = _words("number numero nombor nomor phone name info details data contact numbers cell digits")
THIS_NUMBER = _words("number numero nombor nomor phone cell")  # "this number", not "the name engraving"
AWAY = _words("off out from de da do del la des dari daripada aus outta")
LIST = _words(
    "list lists database contacts mailing records system lista liste senarai daftar registro subscription "
    "suscripcion abonnement assinatura langganan"
)
CONSENT = _words("consent permission consentimiento permiso consentement permissao kebenaran subscription")
WITHDRAW = _words("withdraw withdrawing revoke revoking retract rescind retiro retire retiro retirer revoco")
# Words that name a revocation wherever they stand (unless negated): "how do I unsubscribe?", "opt me out".
ALWAYS = ("unsubscri", "unsubsc", "desuscri", "desinscri", "desabonn", "descadastr", "nyahlangg", "revok")
DONE = _words(
    "done finished through sick tired fed enough marre harto harta cansado cansada farto farta fini finis"
)
# Nouns a keyword becomes part of when it is used as an ordinary word: "cancel my order", "stop the shipment".
ORDER = _words(
    "order orders purchase item items reservation appointment booking delivery shipment payment preorder "
    "return refund cart package pedido compra commande encomenda plan box ships ship shipping shipped arrives "
    "delivered charge card membership auto autoship receipt receipts invoice paper catalog rewards signature"
)
PHRASAL = {  # keyword + next word that makes it ordinary: "stop by", "end date", "quit playing"
    "stop": _words("by in at over into off for to and myself yourself ourselves himself herself"),
    "end": _words("date dates time of on up soon at result"),
    "quit": _words("playing smoking my your job"),
    "para": _words("el la los las mi que cuando"),
}
NOUN_BEFORE = _words(
    "the a an this that my your our its bus one next last pit non full first truck rest weekend week month "
    "sale promo year day el la le les o"
)
MODAL_NEGATION = _words("never cannot couldnt wont")
# Complaints: not an explicit request, but the texts may be unwanted. Strong ones suppress pending review;
# weak ones are a conversation flagged for a person.
COMPLAINT_STEMS = (
    "spam", "scam", "harass", "annoy", "report", "lawsuit", "sue ", "lawyer", "attorney", "illegal", "junk",
)  # fmt: skip
SIGN_UP = ("sign", "subscri", "regist", "opt", "agree", "consent", "permission", "ask", "join", "inscri")
QUANTITY = _words("many much lot lots constant constantly every daily nonstop excessive tons ton often")
TIME_UNIT = _words("day days week weeks hour hours morning night today daily")
WEAK_COMPLAINT = (
    "less texts", "fewer texts", "less often", "once a week", "too often", "i do not know you",
    "not again", "come on", "smh", "blowing up", "not ads", "not marketing", "not promos", "not sales",
    "every day", "every single", "again?", "so often", "🙄", "ridiculous", "😡",
    "seriously?", "really?", "ugh", "ever sleep", "slow down", "shop there anymore", "last chance",
    "how often", "how many more", "enough already",
)  # fmt: skip
WHY = ("why", "por que", "porque", "pourquoi", "kenapa", "mengapa", "knp", "warum")
CHINESE_COMPLAINT = (
    "没有订阅",
    "没订阅",
    "沒有訂閱",
    "没有注册",
    "没注册",
    "为什么",
    "為什麼",
    "怎么有我的号码",
    "谁给",
)
# Whole replies (after filler) that ask to be left alone.
GO_AWAY = _words("halt") | {
    "am out", "go away", "shut up", "get lost", "buzz off", "leave me be", "unfollow", "back off",
    "i am out", "lachez moi", "laissez moi tranquille", "dejame en paz", "dejenme en paz", "me deixa em paz",
    "me deixem em paz", "jangan ganggu", "jangan ganggu saya",
}  # fmt: skip
NOT_SHOPPER = (
    "never bought", "never ordered", "never shopped", "never purchased", "not a customer", "did not order anything",
    "did not buy anything",
)  # fmt: skip
NOT_MINE = (
    "not my number", "number anymore", "new number", "not mine", "no longer my", "not my cart", "someone else",
    "not the person", "only text me about",
)  # fmt: skip
# Idioms that ask to stop: alone, or "with the texts".
IDIOMS = ("cut it out", "knock it off", "give it a rest", "pack it in", "ease up", "lay off", "chill with",
          "leave my phone", "leave me be", "turn these off", "turn them off", "switch these off", "switch off",
          "turn off these", "turn off the texts", "make it stop", "make them stop", "make these stop")  # fmt: skip
POSITIVE = _words(
    "need love want cute best deal buy order ordering obsessed amazing gorgeous beautiful insane adding good "
    "great perfect"
)

STOP_EMOJI = frozenset({"🛑", "✋", "🚫", "⛔", "🔕", "🙅", "🤚"})
OPT_IN_KEYWORDS = ("start", "unstop")
HELP_KEYWORDS = ("help", "info", "ayuda", "aide", "ajuda", "bantuan", "hilfe")
CONFIRM_WORDS = frozenset({"y", "yes", "yes please", "si", "oui", "sim", "ya", "yep", "yeah", "confirm"})
# Words one edit from a keyword that are words of their own: never read as the keyword.
NOT_A_TYPO = _words(
    "top shop step atop stow stops stopped stopper quite quiet quilt quiz quip quid suit quits quitter "
    "and send bend lend tend fend mend ends ended endo cancer cancels canceled cancelled remote removes removal "
    "removed pause revoked optometrist tipo alta alte alti bajo baje caja also auto alot"
)

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "＇": "'"})
_CONTRACTIONS = (
    (re.compile(r"\b(can)'?t\b"), r"\1 not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\b(do|does|did|is|are|was|were|have|has|had|should|would|could|ain)n'?t\b"), r"\1 not"),
    (re.compile(r"\b(\w+)n't\b"), r"\1 not"),
    (re.compile(r"\bcannot\b"), "can not"),
    (re.compile(r"\bno longer\b"), "nolonger"),
    (re.compile(r"\bi'?m\b"), "i am"),
    (re.compile(r"\bi'd\b"), "i would"),
)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_LEET_WORD = re.compile(r"(?<![\w@$])(?=[\w@$]*[a-z])(?=[\w@$]*[0-9@$])[\w@$]+")
_CLAUSE = re.compile(r"[.!?;,\n:…¡¿()\[\]]+|\s[-–—]+\s")
_NOT_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SYNONYMS = {
    "u": "you", "ur": "your", "pls": "please", "plz": "please", "plse": "please", "msgs": "messages",
    "msg": "message", "txt": "text", "txts": "texts", "txting": "texting", "thx": "thanks", "nomore": "no more",
    "dnt": "do not", "frm": "from", "wanna": "want to", "gimme": "give me", "outta": "out of", "yall": "you",
}  # fmt: skip


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """Case-folded, accents removed, punctuation and emoji dropped, spaces collapsed."""
    return " ".join(w for clause in _clauses(text) for w in clause)


def _symbols_apart(text: str) -> str:
    """A symbol that NFKC turns into letters or digits ("㋀" → "1月", "™" → "TM") kept apart from its
    neighbours: "㋀STOP㋀" must read as STOP, not as the word "1月stop1月"."""
    if text.isascii():
        return text
    return "".join(
        f" {ch} " if not ch.isalnum() and any(c.isalnum() for c in unicodedata.normalize("NFKC", ch)) else ch
        for ch in text
    )


def _clauses(text: str) -> list[list[str]]:
    """The reply as clauses (split at sentence punctuation) of normalised words."""
    folded = unicodedata.normalize("NFKC", _symbols_apart(text)).translate(_APOSTROPHES).casefold()
    folded = re.sub(r"\bs\W?il (vous|te) pla[iî]t\b", "svp", folded)  # "s'il vous plaît": one polite word
    for pattern, repl in _CONTRACTIONS:
        folded = pattern.sub(repl, folded)
    folded = re.sub(
        r"(?<=[a-z]{3})2\b", "", _strip_accents(folded)
    )  # Malay/Indonesian "kirim2" = "kirim-kirim"
    folded = re.sub(r"[@$](?![a-z0-9])", " ", folded)  # a "$" or "@" not inside a word is punctuation
    folded = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), folded)
    clauses = []
    for part in _CLAUSE.split(folded):
        words = []
        for word in _SPACE.split(_NOT_WORD.sub(" ", part).replace("_", " ").strip()):
            if word:
                words.extend(_SYNONYMS.get(word, word).split())
        if words:
            clauses.append(words)
    return clauses


def _collapse(word: str) -> str:
    """Runs of a letter as one letter: "stoooop" -> "stop", "sstop" -> "stop", "cancell" -> "cancel"."""
    return re.sub(r"(.)\1+", r"\1", word)


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1 (one letter slipped, doubled, dropped or two swapped)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if la < lb else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_QWERTY_NEIGHBOURS = {
    ch: "".join(
        o
        for r2, row2 in enumerate(_ROWS)
        for c2, o in enumerate(row2)
        if abs(r2 - r) <= 1 and abs(c2 - c) <= 1 and o != ch
    )
    for r, row in enumerate(_ROWS)
    for c, ch in enumerate(row)
}
_SINGLE_KEYWORDS = {k: v for k, v in KEYWORDS.items() if " " not in k}
_PER_SE = _words("stop stopall unsubscribe unsub cancel end quit revoke optout remove")
# One typing slip is read as the keyword for the per-se English keywords of four letters or more and for
# the longer foreign ones (short foreign words are too close to ordinary words: alto/also, baja/caja).
_FUZZY = tuple(k for k in _SINGLE_KEYWORDS if len(k) >= 4 and (k in _PER_SE or len(k) >= 6))


def keyword_of(word: str) -> str | None:
    """The revocation keyword `word` is, allowing one typing slip (see _FUZZY)."""
    if word in _SINGLE_KEYWORDS:
        return word
    if word in NOT_A_TYPO or len(word) < 3:
        return None
    for candidate in (word, _collapse(word)):
        if candidate in _SINGLE_KEYWORDS:
            return candidate
        for keyword in _FUZZY:
            if abs(len(candidate) - len(keyword)) <= 1 and _one_edit(candidate, keyword):
                return keyword
    if len(word) == 3 and word not in NOT_A_TYPO:  # "emd": one key beside the right one (QWERTY)
        diff = [(a, b) for a, b in zip(word, "end", strict=True) if a != b]
        if len(diff) == 1 and diff[0][0] in _QWERTY_NEIGHBOURS.get(diff[0][1], ""):
            return "end"
    if word.startswith(("unsubscri", "unsubsc")):
        return "unsubscribe"  # "unsubscribing", "unsubscribed", "unsubscription"
    return None


def _is(word: str, lexicon: frozenset[str]) -> bool:
    return word in lexicon or _collapse(word) in lexicon


def _always(word: str) -> bool:
    if word in NOT_A_TYPO and not word.startswith(("unsub", "revok")):
        return False
    return word.startswith(ALWAYS) or keyword_of(word) in ("unsubscribe", "unsub", "revoke", "optout")


@dataclass(frozen=True)
class _Finding:
    certain: bool
    keyword: str
    ordinary: bool = False  # a per-se keyword used as an ordinary word


def _at(words: Sequence[str], i: int) -> str:
    return words[i] if 0 <= i < len(words) else ""


def _ordinary_use(words: Sequence[str], i: int, keyword: str) -> bool:
    """A keyword used as an ordinary word: "the end", "can't stop buying", "stop by", "stop the shipment"."""
    prev, nxt = _at(words, i - 1), _at(words, i + 1)
    if (
        prev in NOUN_BEFORE
        or prev in MODAL_NEGATION
        or _is(prev, NEGATION)
        or nxt in PHRASAL.get(keyword, ())
    ):
        return True
    if (_is(prev, NEGATION) and keyword in ("stop", "end")) or any(
        _is(b, NEGATION) for b in words[max(0, i - 3) : i]
    ):
        return True  # "don't ever stop the Friday drops", "please don't end the free shipping"
    if nxt in ("the", "my", "your", "our", "that", "a", "an") and not any(
        _is(a, MESSAGE) for a in words[i + 2 : i + 5]
    ):
        return keyword in ("stop", "cancel", "remove", "end")  # "cancel the blue one", "stop the presses"
    ing = nxt.endswith("ing") and not (_is(nxt, SEND) or _is(nxt, RECEIVE) or _fuzzy_send(nxt))
    # ... unless it is done to me, or to my phone, with the texts: "stop mithering me with texts"
    ing = ing and not (_at(words, i + 2) in ME or any(_is(a, MESSAGE) for a in words[i + 2 : i + 6]))
    if ing and keyword in ("stop", "quit"):
        return True  # "stop buying", "quit playing"
    return any(_is(a, ORDER) for a in words[i + 1 : i + 5])


def _these(tail: Sequence[str]) -> bool:
    """A demonstrative that stands for the texts: "these", "this anymore" (not "these shoes", not "it")."""
    for d, word in enumerate(tail[:3]):
        if word in DEMONSTRATIVE and word not in ("it", "that", "ca", "itu"):
            nxt = _at(tail, d + 1)
            return not nxt or nxt in MORE or _is(nxt, MESSAGE) or _is(nxt, FILLER)
    return False


def _object(words: Sequence[str], j: int) -> int:
    """Length of a "me" / "my number" / "this number" / "nombor saya" object at j (0 when there is none)."""
    word, nxt = _at(words, j), _at(words, j + 1)
    if word in ME:
        return 1
    if word in POSSESSIVE and (
        nxt in THIS_NUMBER or (nxt in OBJECT_NOUN and word not in ("this", "the", "that"))
    ):
        return 2
    if word in OBJECT_NOUN and nxt in ME:
        return 2
    return 0


def _send(word: str) -> bool:
    """A sending word, including the conjugations of other languages ("mandéis", "m'texter", "envíenme") and
    the dropped g of speech ("textin")."""
    if word.endswith("in") and _is(word + "g", SEND):
        return True
    return _is(word, SEND) or (
        len(word) > 4 and word.startswith(("mand", "envi", "envo", "escrib", "texte", "kirim"))
    )


def _about_a_delivery(after: Sequence[str]) -> bool:
    """ "do not send it to my old address", "don't send the package yet": a parcel, not the texts."""
    return any(_is(a, ORDER) or a in DELIVERY for a in after) and not any(_is(a, MESSAGE) for a in after)


DELIVERY = _words("it address package parcel gift item items invoice receipt yet there")


def _cease_word(word: str) -> bool:
    return word in ("stop", "quit", "cease") or keyword_of(word) in ("stop", "quit")  # not "the promo end"


def _fuzzy_send(word: str) -> bool:
    """An autocorrected sending word: "testing" for "texting" (long words only)."""
    return len(word) >= 6 and any(
        _one_edit(word, s) for s in ("texting", "sending", "messaging", "contacting")
    )


def _cease_at(words: Sequence[str], i: int) -> bool:
    w, nxt = words[i], _at(words, i + 1)
    if w in CEASE_WITH_DE:
        return nxt == "de"
    if w in CEASED:
        return _is(nxt, SEND)
    keyword = keyword_of(w)
    if keyword is not None and _ordinary_use(words, i, keyword):
        return False
    if any(_is(a, ORDER) for a in words[i + 1 : i + 5]):
        return False  # "pause my subscription box", "cancel the order"
    if len(w) > 4 and w.startswith(("paren", "parem", "parad", "deten", "arret", "cessez", "berhent")):
        return True  # "párenle", "arrêtez-moi ça", "berhentikan"
    return _is(w, CEASE) or keyword in ("stop", "quit", "cancel", "berhenti", "arreter", "arretez")


def _imperative_negation(words: Sequence[str], i: int) -> bool:
    """ "don't text", "never message", "can you not text", "no me envíen", "ne plus me contacter"."""
    prev, prev2 = _at(words, i - 1), _at(words, i - 2)
    if prev in IMPERATIVE_NEGATION or (prev2 in IMPERATIVE_NEGATION and (prev in ME or prev in BETWEEN)):
        return True
    if "ne" in words[max(0, i - 3) : i] or "n" in words[max(0, i - 3) : i]:
        return True  # French: the negation wraps the verb
    if prev == "not" and prev2 in ("you", "please", "just", "u", "mind"):
        return True
    for k in range(max(0, i - 4), i - 1):  # "no me vuelvan a contactar"
        if words[k] in IMPERATIVE_NEGATION and all(w in BETWEEN or w in ME for w in words[k + 1 : i]):
            return True
    for k in range(max(0, i - 4), i - 1):  # "do not text", "please do not ever send", "do not you text"
        if words[k] == "do" and words[k + 1] == "not" and (k == 0 or words[k - 1] not in SUBJECT):
            return all(w in BETWEEN or w in ME for w in words[k + 2 : i])
    return False


def _shapes(words: Sequence[str]) -> _Finding | None:
    """A revocation's shape over the clause's concepts, if it has one."""
    for i, w in enumerate(words):
        # "count me out of these texts", "bow out of the texts", "get me out of this list"
        out_of = (
            w == "out"
            and _at(words, i + 1) == "of"
            and not any(_is(b, NEGATION) for b in words[max(0, i - 3) : i])
        )
        if out_of and any(_is(a, MESSAGE) or _is(a, LIST) for a in words[i + 2 : i + 5]):
            return _Finding(True, "out of the texts")
        # "switch my texts off", "turn these off": a switch with the texts in it
        if (
            w in ("turn", "switch", "shut")
            and "off" in words[i + 1 : i + 5]
            and any(_is(a, MESSAGE) or a in ("these", "them") for a in words[i + 1 : i + 5])
        ):
            return _Finding(True, f"{w} the texts off")
        # "text me one more time and see what happens": a threat is a request
        if _send(w) and " ".join(words[i + 1 : i + 6]).find("one more time") >= 0:
            return _Finding(True, "one more time")
        # "sod off with these texts", "buzz off with the messages"
        if (
            _at(words, i + 1) == "off"
            and _at(words, i + 2) == "with"
            and any(_is(a, MESSAGE) or a == "these" for a in words[i + 3 : i + 6])
        ):
            return _Finding(True, f"{w} off with the texts")
        # "if you didn't message me again", "I swear if you text me one more time": sending again is the point
        if _send(w) and (
            (
                any(a in ("again", "anymore") for a in words[i + 1 : i + 4])
                and any(_is(b, NEGATION) for b in words[max(0, i - 3) : i])
            )
            or (
                "if" in words[max(0, i - 3) : i]
                and (" ".join(words[i + 1 : i + 6]).find("one more") >= 0 or "again" in words[i + 1 : i + 5])
            )
        ):
            return _Finding(True, f"no more {w}")
        negated = any(_is(b, NEGATION) or b in MODAL_NEGATION for b in words[max(0, i - 4) : i])
        after = words[i + 1 : i + 6]
        # "how do I unsubscribe", "opt me out", "otp out", "I revoke": unless negated ("don't unsubscribe me")
        opt_out = (_one_edit(w, "opt") or w in ("opting", "opted")) and any(
            _one_edit(a, "out") for a in words[i + 1 : i + 3]
        )
        if (_always(w) or opt_out) and any(_is(a, ORDER) for a in words[i + 1 : i + 8]):
            return _Finding(False, w, ordinary=True)  # "can I opt out of the signature for delivery?"
        if (_always(w) or opt_out) and not negated:
            return _Finding(True, f"{w} (in a sentence)")
        # a stopping word with what is sent: "please quit texting", "stop these messages", "arrêtez les SMS"
        if not negated and _cease_at(words, i) and any(_send(a) or _is(a, MESSAGE) for a in after):
            return _Finding(True, f"{w} + sending")
        if (
            not negated
            and _cease_at(words, i)
            and i > 0
            and words[i + 1 :]
            and all(a in DEMONSTRATIVE or _is(a, FILLER) for a in words[i + 1 :])
        ):
            return _Finding(True, f"{w} them")  # "please discontinue them", "kindly cancel these"
        if not negated and _cease_at(words, i) and any(_fuzzy_send(a) for a in after[:2]):
            return _Finding(True, f"{w} + sending")  # autocorrect: "please stop testing me"
        if (_is(w, MESSAGE) or w == "these") and (
            words[i + 1 : i + 3] == ["go", "away"] or any(_cease_word(a) for a in words[i + 1 : i + 4])
        ):
            return _Finding(True, "make the texts stop")  # "make these messages go away"
        # declining: "I'll pass on future texts", "nah I'm good on these texts", "I'm good without the texts"
        if (
            w in ("pass", "good", "skip")
            and _at(words, i + 1) in ("on", "without")
            and any(_is(a, MESSAGE) or a == "these" for a in words[i + 2 : i + 5])
        ):
            return _Finding(True, f"{w} on the texts")
        # Québécois "envoyez-moi pu rien", "no me manden nada": the negation after the verb
        if _is(w, SEND) and any(a in ("pu", "rien", "nada") for a in words[i + 1 : i + 3]):
            return _Finding(True, f"{w} nothing")
        # withdrawing consent: "I withdraw my consent", "je retire mon consentement"
        if _is(w, WITHDRAW) and any(_is(a, CONSENT) for a in after[:3]):
            return _Finding(True, f"{w} consent")
        # no wish to receive: "I don't want these anymore", "ya no quiero mensajes", "j'veux pu recevoir ça"
        if _is(w, WANT) and (
            any(_is(b, NEGATION) for b in words[max(0, i - 4) : i])
            or _at(words, i + 1) in ("pu", "pas", "not")
        ):
            tail = words[i + 1 : i + 7]
            if any(_is(a, MESSAGE) or _send(a) for a in tail):
                return _Finding(True, f"no wish for {w}")
            if any(_is(a, RECEIVE) for a in tail[:3]) and not any(_is(a, ORDER) for a in tail):
                return _Finding(True, "no wish to receive")
            if _these(tail):
                return _Finding(any(a in MORE for a in tail), f"no wish for {w}")
        # wanting out: "I want out", "I want off this list", "quiero salir de la lista"
        if _is(w, WANT) and not negated and _at(words, i + 1) in ("out", "off"):
            return _Finding(True, "want out")
        if _is(w, LEAVE) and any(_is(a, LIST) for a in after[:4]) and not negated:
            return _Finding(True, f"{w} the list")
        receives = w == "not" and any(_is(a, RECEIVE) for a in after[:2])
        if receives and _these([a for a in after[1:4] if not _is(a, RECEIVE)]):
            return _Finding(True, "not get these")  # "is there a way to not get these?"
        # no more texts after a negation of receiving: "I'd prefer not to get texts anymore"
        wants_not = any(a in MORE for a in after) or any(_is(b, WANT) for b in words[max(0, i - 3) : i])
        if (
            w == "not"
            and wants_not
            and any(_is(a, RECEIVE) for a in after[:3])
            and any(_is(a, MESSAGE) for a in after)
        ):
            return _Finding(True, "not receive texts")
        # do not send: "don't text me", "never message me again", "no me envíen más", "jangan hantar"
        if (
            _send(w)
            and _imperative_negation(words, i)
            and "why" not in words[:i]
            and not (
                w in ("text", "message", "email", "call", "sms", "mesej") and _at(words, i - 1) in NOUN_BEFORE
            )
            and not _about_a_delivery(words[i + 1 : i + 6])
        ):
            return _Finding(True, f"do not {w}")
        # removal of oneself: "take me off", "remove this number", "count me out", "me tira da lista"
        if (_is(w, REMOVE) or (len(w) > 5 and w.startswith(REMOVE_ALONE))) and not negated:
            after_object = _object(words, i + 1) or (
                1 + _object(words, i + 2)
                if _at(words, i + 1) in ("o", "a", "el", "la", "le") and _object(words, i + 2)
                else 0
            )
            built_in = w.endswith("me") and len(w) >= 6  # "quítenme", "sácame", "bórrame"
            before = _at(words, i - 1) in ME or _object(words, i - 2) == 2  # "me tira", "my number removed"
            rest = words[i + 1 + after_object : i + 5 + after_object]
            place = any(a in AWAY for a in rest[:2])
            listed = any(_is(a, LIST) for a in rest)
            if w.startswith(REMOVE_ALONE) and _at(words, i + 1) in AWAY and any(_is(a, LIST) for a in rest):
                return _Finding(True, f"{w} from the list")  # "pls remove frm list"
            if (after_object or built_in) and (w.startswith(REMOVE_ALONE) or place or built_in):
                return _Finding(True, f"{w} me from the list")
            if (before and (place or listed)) or (place and listed and w in ("get", "take")):
                return _Finding(True, f"{w} me from the list")
        # "I want my number deleted", "I'd like to be taken off this list"
        mine = _object(words, i - 2) == 2
        if w in PASSIVE and (
            mine or (_at(words, i - 1) in ("be", "being", "get") and any(_is(a, LIST) for a in after))
        ):
            return _Finding(True, f"{w} from the list")
        # had enough: "I'm done with these messages", "sick of these texts", "j'en ai marre"
        if _is(w, DONE):
            tail = words[i + 1 : i + 5]
            if any(_is(a, MESSAGE) for a in tail):
                return _Finding(True, f"{w} with the texts")
            if _these(tail) or w in ("marre", "harto", "harta"):
                return _Finding(False, f"{w} with these")
        if w == "baja" and _at(words, i - 1) == "de" and not negated:
            return _Finding(True, "dar de baja")  # "quiero darme de baja", "denme de baja"
        # no more: "no more texts", "no más mensajes", "plus de messages", "chega de mensagens"
        if (
            w in NO_MORE
            and (w != "no" or _at(words, i + 1) in MORE)
            and (
                any(_is(a, MESSAGE) for a in after[:3])
                or _these([a for a in after[:3] if a not in ("more", "of")])
            )
        ):
            return _Finding(True, f"{w} more messages")
        if (
            w == "no"
            and any(_is(a, MESSAGE) for a in after[:2])
            and all(_is(a, FILLER) for a in words if a != w)
        ):
            return _Finding(True, "no texts")
    joined = f" {' '.join(words)} "
    for idiom in IDIOMS:
        if f" {idiom} " in f"{joined} ":
            return _Finding(True, idiom)  # "cut it out", "give it a rest with the messages", "turn these off"
    if " block " in joined and " if " in joined and (" keep " in joined or " again " in joined):
        return _Finding(True, "threat to block")  # "finna block y'all if y'all keep texting"
    if (
        " block " in joined
        and any(_object(words, j) or words[j] in ("you", "yall") for j in range(len(words)))
        and (" if " in joined or " keep " in joined)
    ):
        return _Finding(True, "threat to block")  # "I'll block this number if you keep texting"
    for phrase in ("leave me alone", "lachez moi", "laissez moi", "dejame en paz", "dejenme en paz", "deixa em paz",
                   "jangan ganggu", "wrong number", "lose my number", "not interested", "pas interesse",
                   "no me interesa", "no estoy interesad", "nao tenho interesse", "tak berminat", "tidak berminat"):  # fmt: skip
        if f" {phrase}" in joined:
            short = len([w for w in words if not _is(w, FILLER)]) <= 5
            return _Finding(short or "interes" not in phrase, phrase)
    return None


def _keyword_in_sentence(words: Sequence[str]) -> _Finding | None:
    """A per-se keyword inside a longer clause: ordinary use, a clear stop, or a possible one."""
    found: _Finding | None = None
    for i, w in enumerate(words):
        keyword = keyword_of(w)
        if keyword is None or (
            keyword not in _PER_SE and keyword not in ("berhenti", "arret", "parar", "cancelar")
        ):
            continue
        prev, nxt = _at(words, i - 1), _at(words, i + 1)
        if _ordinary_use(words, i, keyword):
            found = found or _Finding(False, keyword, ordinary=True)
            continue
        if keyword in ("end", "remove") and i > 0:
            continue  # "when does the sale end", "how do I remove an item": ordinary words mid-sentence
        rest = [a for a in words[i + 1 :] if not _is(a, FILLER)]
        if not rest and (
            i == 0 or prev in _words("please you just so but and now ok okay said already guys")
        ):
            return _Finding(True, keyword)  # "can you please stop", "love you guys but stop"
        if nxt in DEMONSTRATIVE and len(rest) <= 1:
            return _Finding(True, keyword)  # "stop it", "quit this"
        return _Finding(False, keyword)  # "stop whatever this is", "cancel everything": possibly
    return found


def _complaint(raw: str, words: Sequence[str]) -> _Finding | None:
    """A complaint about the texts: strong (suppress pending review) or weak (a flagged conversation)."""
    joined = f" {' '.join(words)} "
    if any(f" {stem}" in joined for stem in COMPLAINT_STEMS) or any(
        p in joined for p in NOT_SHOPPER + NOT_MINE
    ):
        return _Finding(False, "complaint")
    for i, w in enumerate(words):
        near = words[max(0, i - 4) : i + 4]
        if (_is(w, MESSAGE) or _is(w, SEND) or w == "these") and (
            any(_is(b, QUANTITY) or b == "too" for b in near)
            or any(b in TIME_UNIT for b in words[i + 1 : i + 5])
        ):
            return _Finding(False, "too many texts")
        if w.startswith(SIGN_UP) and any(
            _is(b, NEGATION) or b in ("did", "when", "how") for b in words[max(0, i - 5) : i]
        ):
            return _Finding(False, "never signed up")
        why = w in WHY or " ".join(words[i : i + 2]) in WHY
        if (
            why
            and "not" not in words[i + 1 : i + 3]
            and any(
                _is(a, RECEIVE) or _is(a, SEND) or _is(a, MESSAGE) or a in ("keep", "siguen", "phone", "ca")
                for a in words[i + 1 : i + 7]
            )
        ):
            return _Finding(False, "why am I getting these")
        asked = any(b in ("how", "who", "where", "did") for b in words[:i])
        got = any(
            a in ("get", "got", "gave", "give", "sold", "sell", "find", "found")
            for a in words[max(0, i - 4) : i + 3]
        )
        if w in ("number", "numero", "nombor") and asked and got:
            return _Finding(False, "how did you get my number")
        if (w.isdigit() or w in ("two", "three", "four", "five", "six", "ten")) and _is(
            _at(words, i + 1), MESSAGE
        ):
            return _Finding(False, "counting the texts", ordinary=True)  # "3 texts before noon"
        if (
            w == "how"
            and "number" in words[i + 1 : i + 7]
            and any(_is(a, RECEIVE) for a in words[i + 1 : i + 5])
        ):
            return _Finding(False, "how did you get my number")
    if " who is this " in joined or joined.strip() in ("who is this", "who this", "who dis", "who are you"):
        return _Finding(False, "who is this", ordinary=True)
    for i, w in enumerate(words):  # "you guys text more than my mom", "you text a lot"
        if _is(w, SEND) and " ".join(words[i + 1 : i + 3]) in (
            "more than",
            "a lot",
            "so much",
            "too much",
            "nonstop",
        ):
            return _Finding(False, "too many texts", ordinary=True)
    if any(cue in raw for cue in CHINESE_COMPLAINT):
        return _Finding(False, "complaint")
    if any(cue in joined or cue in raw.casefold() for cue in WEAK_COMPLAINT):
        return _Finding(False, "complaint", ordinary=True)
    return None


_CHINESE_DO_NOT_SEND = re.compile(  # simplified, traditional and Cantonese, with an English verb typed in
    r"(别|別|不要|不用|勿|停止|请勿|請勿|不准|唔好|唔使|咪)再?(给我|給我|向我|跟我|俾我)?\s*"
    r"(发|發|传|傳|寄|打扰|打擾|send|sms|text)",
    re.I,
)


def _chinese(raw: str) -> str | None:
    if not _CJK.search(raw):
        return None
    found = _CHINESE_DO_NOT_SEND.search(raw)
    return found.group(0) if found else next((phrase for phrase in CHINESE if phrase in raw), None)


_FOOTER = re.compile(
    r"\b(reply|text|txt|send)\s+(stop|end|cancel|unsubscribe)\s+(to|for)\s+\w+(\s+out)?"
    r"|\b(told me|said|says|asked me|tells me)\s+to\s+(reply|text|txt|send|type)\s+(stop|end|cancel|unsubscribe)\b",
    re.I,
)  # our own footer ("Reply STOP to opt out"), and STOP in reported speech ("my friend told me to text STOP")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _without_quotes(text: str) -> str:
    """The reply without lines it quotes ("> ...") and without our own footer ("Reply STOP to opt out")."""
    # Only real line breaks start a quoted line: str.splitlines() also splits at control characters (\x1c-\x1e,
    # \x85 ...), and "0\x1e>. Stop!" would hide its STOP as a "quote".
    kept = [line for line in _LINE_BREAK.split(text) if not line.lstrip().startswith(">")]
    unquoted = "\n".join(kept) if any(line.strip() for line in kept) else text  # ">STOP" alone is a reply
    return _FOOTER.sub(" ", unquoted)


def revocation(text: str) -> Classification | None:
    """An opt-out (certain or possible), a conversation flagged for review, or None (nothing to do with it)."""
    raw = _without_quotes(text or "")
    clauses = _clauses(raw)
    chinese = _chinese(raw)
    if chinese:
        return Classification(Intent.OPT_OUT, keyword=chinese)
    if not clauses:
        if any(e in raw for e in STOP_EMOJI):
            return Classification(Intent.OPT_OUT, keyword="emoji", review=True)
        if any(e in raw for e in ("🙄", "😡", "🤬", "😤")):
            return Classification(Intent.MESSAGE, keyword="annoyed", review=True)  # a person reads it
        return None
    if any(e in raw for e in STOP_EMOJI) and all(_is(w, FILLER) for c in clauses for w in c):
        return Classification(Intent.OPT_OUT, keyword="emoji", review=True)  # "🛑 texts 🛑"
    compact = "".join(w for c in clauses for w in c)
    if compact in ("stop", "stopall", "unsubscribe", "optout", "cancel", "end", "quit", "revoke", "td"):
        return Classification(Intent.OPT_OUT, keyword=compact.upper())  # "S T O P", "s.t.o.p"
    best: _Finding | None = None
    ordinary: _Finding | None = None
    for words in clauses:
        bare = _bare(words)
        finding = _Finding(True, bare) if bare else _shapes(words) or _keyword_in_sentence(words)
        if finding is None:
            continue
        if finding.ordinary:
            ordinary = ordinary or finding
        elif best is None or (finding.certain and not best.certain):
            best = finding
    if best is None and len(clauses) > 1:  # "No. More. Texts."
        best = _shapes([w for c in clauses for w in c])
        best = best if best is not None and not best.ordinary else None
    if best is not None and best.certain and _bare(clauses[0]) and len(clauses) > 1:
        later = [w for c in clauses[1:] for w in c]
        if any(_is(w, POSITIVE) for w in later) and not any(_shapes(c) or _bare(c) for c in clauses[1:]):
            best = _Finding(
                False, best.keyword
            )  # "STOP! This is the best deal": excitement, or not? a person reads it
    if best is not None:
        content = [c for c in clauses if any(not _is(w, FILLER) for w in c)]
        more = len(content) > 1  # something besides the revocation: a person reads it
        return Classification(
            Intent.OPT_OUT, best.keyword, review=more or not best.certain, certain=best.certain
        )
    complaint = _complaint(raw, [w for c in clauses for w in c])
    if complaint is not None and not complaint.ordinary:
        return Classification(Intent.OPT_OUT, keyword=complaint.keyword, review=True, certain=False)
    flagged = ordinary or complaint
    if flagged is not None:
        return Classification(Intent.MESSAGE, keyword=flagged.keyword, review=True)
    return None


def _bare(words: Sequence[str]) -> str | None:
    """The keyword when a clause is a keyword and nothing but filler ("ok STOP", "unsubscribe me pls")."""
    rest = [w for w in words if not _is(w, FILLER)]
    if not rest:
        return None
    phrase = " ".join(rest)
    if phrase in KEYWORDS:
        return KEYWORDS[phrase]
    spoken = " ".join(w for w in words if w not in ("please", "just", "now", "ok", "okay", "i", "said"))
    if phrase in GO_AWAY or spoken in GO_AWAY:
        return (phrase if phrase in GO_AWAY else spoken).upper()
    found = [keyword_of(w) for w in rest]  # "stop", "STOP STOP STOP", "stop unsubscribe"
    return KEYWORDS[found[0]] if all(found) and found[0] else None


def classify(text: str, shop_keywords: Iterable[str] = ()) -> Classification:
    found = revocation(text)
    if found is not None and found.intent is Intent.OPT_OUT:
        return found
    norm = normalise(text or "")
    words = norm.split()
    for keyword in HELP_KEYWORDS:
        if words and words[0] == keyword and all(_is(w, FILLER) for w in words[1:]):
            return Classification(Intent.HELP, keyword=keyword.upper())
    for keyword in OPT_IN_KEYWORDS:
        if norm == keyword:
            return Classification(Intent.OPT_IN, keyword=keyword.upper())
    for keyword in shop_keywords:
        if norm and norm == normalise(keyword):
            return Classification(Intent.OPT_IN, keyword=keyword.upper())
    if norm in CONFIRM_WORDS:
        return Classification(Intent.CONFIRM, keyword="YES")
    if re.fullmatch(r"\d{1,2}", norm) and 0 <= int(norm) <= 10:
        return Classification(Intent.RATING, rating=int(norm))
    return found or Classification(Intent.MESSAGE)
