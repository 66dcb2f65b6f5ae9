"""A second held-out set of SMS replies for the consent classifier.

This set was written independently of the classifier and of the first data set: its author did not read
either. It is meant to be used only for measuring, never for tuning, so that a score on it says something
about replies nobody had in mind while writing the rules.

Every row is ``(reply text, label, family)``. The replies are written the way customers of online stores
actually answer marketing texts (sales, abandoned-cart reminders, shipping updates) on their phones:
voice-to-text artifacts, autocorrect slips, rambling messages with the request at the end, an order question
and a request to stop in one message, sarcasm, mild profanity, formal letters, slang, emoji, ALL CAPS, other
languages and code-switching.

Labels are judged by the "reasonable person" standard of the FCC's 2024 revocation order (FCC 24-24,
47 CFR 64.1200(a)(10)): consent may be revoked by any reasonable means, the replies "stop", "quit", "end",
"revoke", "opt out", "cancel" and "unsubscribe" revoke per se, and any other wording a reasonable person
would read as "stop texting me" must be honoured. The keyword lists of CTIA (STOPALL) and AWS (ARRET,
REMOVE, TD, 退订) are taken as revocations too.

Labels and families:

``revocation``: a reasonable person reads the reply as a request to stop texting.
    ``keyword``      a per-se keyword carries the message: alone, or with politeness, noise, emoji, anger,
                     a signature, or a short object ("stop texting me period").
    ``paraphrase``   the intent in the customer's own words, mostly without a per-se keyword; includes the
                     indirect ones ("I'd rather not get these", "lose my number", "I'm out") and long
                     messages where the request comes in the middle or at the end.
    ``misspelling``  one edit away from a keyword, or digits for letters ("stpo", "st0p", "unsubscibe").
    ``spanish``, ``french`` (incl. Québécois), ``portuguese`` (Brazilian), ``chinese`` (simplified and
    traditional), ``malay`` (Malay and Indonesian): the request in that language, some of it code-switched.
``complaint``: unhappy about the texts without asking for them to stop; a person should at least look.
    ``complaint``
``harmless``: ordinary conversation that must not end the subscription.
    ``innocent_keyword``  uses stop, end, cancel, quit, remove or opt out about something else (an order,
                          a sale, a delivery) or as an exclamation of delight.
    ``ordinary``          order status, sizing, thanks, compliments, emoji.

No HELP, START, YES or rating replies: those belong to other flows.

Run as a script to print the counts and check the set.
"""

from __future__ import annotations

_KEYWORD = [
    "STOP",
    "stop.",
    "Stop!!!",
    "STOP 🛑",
    "stop please",
    "Stop, thank you",
    "pls stop",
    "STOPALL",
    "Unsubscribe",
    "unsubscribe me please",
    "CANCEL",
    "End",
    "quit",
    "REVOKE",
    "Opt out",
    "opt-out",
    "optout",
    "REMOVE",
    "TD",
    "STOP WTF",
    "stop damn it",
    "omg STOP",
    "stop texting me period",
    "Stop stop stop",
    "stop!!!!! 😡😡😡",
    "unsubscribe 🙏",
    "Please unsubscribe this number",
    "cancel texts",
    "Cancel my text subscription",
    "remove me",
    "Remove this number from your list",
    "I want to opt out",
    "opt me out",
    "I revoke my consent",
    "stop 👋",
    "sTOP tHANKS",
    "STOP!! how many times do I have to say it",
    "quit texting me",
    "end texts",
    "STOP\n\nSent from my iPhone",
    "Stop - Gary",
    "Unsubscribe. Enough already.",
    "stop lmao",
    "STOP SENDING ME THESE",
    "Opt out please and thank you",
    "UNSUBSCRIBE!!!!",
    "wtf is this, stop texting me",
    "I SAID STOP",
]

_PARAPHRASE = [
    "I'd rather not get these",
    "you can take me off",
    "lose my number",
    "I'm good, no more texts",
    "nah im good on these texts",
    "please don't contact me again",
    "delete me",
    "I'm out",
    "no thanks, stop",
    "Please remove my name from your mailing list. Thank you, Margaret",
    "take me off your list",
    "no more texts please",
    "Don't text me anymore",
    "please stop messaging this number",
    "bro stop",
    "I don't want these messages anymore",
    "leave me alone",
    "Never text me again",
    "Delete my number from your system",
    "I no longer wish to receive text messages from your company. Regards, Harold Jenkins",
    "Kindly discontinue these messages.",
    (
        "Please take my number off of your texting list. I did not realize I would get so many. "
        "Sincerely, Dorothy"
    ),
    "I want off this list",
    "get me off this list",
    "how do I stop getting these texts",
    "I'm not interested, please stop texting",
    "no more please",
    "Enough with the texts",
    "nope. done with these",
    "I'm done. Take me off.",
    "You guys text way too much, I'm out",
    "pls no more msgs",
    "Not interested anymore, remove my number",
    "do not text this number again",
    "don't send me any more promotions",
    "stop blowing up my phone",
    "I never want to hear from you again",
    "Please cease all text communication with this number.",
    "I withdraw my consent to receive messages",
    "Take me off the list ASAP",
    "my wife signed me up for this, please take this number off",
    "This is my dad's phone, he doesn't want these, please take him off your list",
    "no longer interested, don't text",
    (
        "Hi, I bought a candle from you guys last month and it was lovely, but I really don't need a text "
        "every day. Please take me off the list. Have a good one!"
    ),
    (
        "ok so I ordered the hoodie like two weeks ago and still nothing?? where is it. also please quit "
        "texting me about sales I don't care"
    ),
    "Where is my order #4471? And please stop with the promo texts.",
    "Can you tell me when my package ships? Also I'd like to not get marketing texts anymore.",
    "I've asked three times now. No. More. Texts.",
    "oh great another text, just what I needed. make it stop",
    "wow thanks for the 5th text today, really. now please lose my number",
    "I'm good thanks, you can stop sending these",
    "Please do not message me",
    "Leave me off your list please",
    "Scratch me off your list",
    "Erase my info and don't text me",
    "No more marketing please",
    "I want out",
    "count me out of these texts",
    (
        "Hey it's me again. I really liked the sweater but I'm trying to spend less. Would you please "
        "stop sending me sale texts, it's not helping lol"
    ),
    "nah fam im good 🙅‍♂️ no more texts",
    "bruh chill. no more texts",
    "ight im done w these",
    "this ain't it. take me off",
    "🚫📱 no more pls",
    "👋 bye, dont text me",
    "Pleas dont send me anymore texts",
    "Please stop testing me",
    "Please don't text me any more comma thank you",
    "Take me off your list period thank you",
    "no more text messages exclamation point",
    (
        "I am 82 years old and do not know how to make these messages go away. Please discontinue them. "
        "Thank you kindly."
    ),
    (
        "To whom it may concern, I would appreciate it if you would no longer send messages to this "
        "telephone number."
    ),
    "Dear Sir or Madam, please delete this number from your records. Yours truly, Ruth",
    "I've had enough, don't message me again",
    "I don't shop there anymore so no need to keep texting me",
    "Please quit sending me this garbage",
    "damn y'all relentless. I'm done, take my number off",
    "Can you please just not text me anymore? Thanks",
    "I'd like to be removed from your text list",
    "Kindly take me off your SMS list",
    "I don't want promotional messages, thank you",
    "dont want these",
    "Please refrain from texting me",
    "I'll pass on future texts, thanks",
    "unsub",
    "I'm all set with these texts, thanks. No more.",
    "Not for me, please don't text again",
    "HALT",
    "I'm going to block you if you text me again",
    "shut up already with the texts",
    "go away",
    (
        "I was going to buy the boots but honestly all these texts turned me off. Please take me off your "
        "list."
    ),
    "I signed up by mistake, please remove me",
    "TAKE ME OFF THIS LIST",
    "🛑 texts 🛑",
    "please no more texts to this phone, my son uses it",
]

_MISSPELLING = [
    "stpo",
    "unsubscibe",
    "st0p",
    "canel",
    "stopp",
    "unsubscrib",
    "quitt",
    "opt ot",
    "Sotp",
    "STP",
    "srop 🙄",
    "Dtop",
    "Stoo.",
    "Unsubcribe me",
    "unsubscirbe",
    "cancle",
    "cancell",
    "0pt out",
    "qiut",
    "revok",
    "unsubsribe thanks",
    "5TOP",
    "qu1t",
    "unsubscr1be",
    "STOPO",
    "st op",
    "optt out",
    "sstop",
    "unsubscribr",
    "canc3l",
    "stpo pls",
]

_SPANISH = [
    "Ya no me manden mensajes",
    "no quiero recibir más mensajes",
    "Por favor dejen de enviarme mensajes",
    "BASTA ya de mensajes",
    "quítenme de la lista",
    "No me escriban más por favor",
    "Cancelar suscripción",
    "darme de baja",
    "Quiero darme de baja de estos mensajes",
    "Favor de no enviar más mensajes a este número",
    "please no more mensajes",
    "stop mandando mensajes plis",
    "No gracias, ya no me interesa, borren mi número",
    "Eliminen mi número de su lista",
    "ya estuvo con los textos, no más",
    "Deja de mandarme mensajes porfa",
    "¿Pueden dejar de enviarme textos? Gracias",
    (
        "Hola, compré unos zapatos el mes pasado y me encantaron, pero ya son demasiados mensajes. Por favor "
        "sáquenme de la lista. Gracias"
    ),
    "no más mensajes por favor 🙏",
    "BAJA",
    "ya no quiero promociones, gracias",
    "oye ya stop con los mensajes",
    "Sácame de tu lista de textos",
    "no me vuelvan a contactar",
    "Dejen de molestar con tantos mensajes",
    "Ya párenle con los mensajes",
]

_FRENCH = [
    "ARRET",
    "Arrêt",
    "ARRÊTEZ",
    "Arrêtez de m'envoyer des messages svp",
    "Je ne veux plus recevoir de textos",
    "Désabonnez-moi",
    "désinscription",
    "Retirez-moi de votre liste s'il vous plaît",
    "Plus de messages merci",
    "Lâchez-moi avec vos textos",
    "Arrête de m'texter stp",
    "Chu pu intéressé, arrêtez les textos",
    "Enlevez mon numéro de votre liste",
    "Svp cessez de m'écrire",
    "Non merci, je ne veux plus de vos messages",
    (
        "Bonjour, j'ai commandé un manteau la semaine passée et je l'adore, mais je reçois beaucoup trop de "
        "textos. Pouvez-vous me désinscrire? Merci"
    ),
    "Stop svp merci",
    "arrêtez ça tout de suite 😡 plus de textos",
    "Tannant en maudit, envoyez-moi pu rien",
    "Je me désabonne",
    "Supprimez mon numéro de votre liste d'envoi",
]

_PORTUGUESE = [
    "Parar",
    "PARE",
    "Não quero mais receber mensagens",
    "Para de mandar mensagem pfv",
    "Me tira dessa lista",
    "Cancelar inscrição",
    "Descadastrar",
    "Quero sair da lista",
    "Por favor, não me enviem mais mensagens",
    "chega de mensagem, por favor",
    "Removam meu número",
    "Não tenho interesse, parem de mandar sms",
    "Oi, comprei uma bolsa com vocês e adorei, mas são muitas mensagens. Podem me descadastrar? Obrigada",
    "nao manda mais nada pra mim não kkk",
    "Me descadastra aí vlw",
    "SAIR",
]

_CHINESE = [
    "退订",
    "退訂",
    "请不要再给我发短信了",
    "請不要再傳簡訊給我",
    "取消订阅",
    "取消訂閱",
    "别再发了",
    "停止发送",
    "不要再发广告了，谢谢",
    "把我从名单上删除",
    "退订！！！",
    "我不需要这些信息，请停止",
    "請停止發送訊息，謝謝",
]

_MALAY = [
    "berhenti",
    "BERHENTI!!",
    "berhenti berlangganan",
    "jangan kirim lagi",
    "Tolong jangan hantar mesej lagi",
    "Saya tak nak terima mesej ni lagi",
    "Keluarkan nombor saya dari senarai",
    "Hapus nomor saya dari daftar",
    "stop la, jangan mesej lagi",
    "Tolong berhenti kirim SMS ke nomor ini",
    "Saya tidak mau menerima pesan promosi lagi",
    "henti langganan",
    "udah dong jangan kirim2 lagi",
]

_COMPLAINT = [
    "why do I keep getting these",
    "how did you get this number",
    "I never signed up for this",
    "this is the 4th text today",
    "who gave you my number",
    "this is harassment",
    "Who is this?",
    "wow 5 texts in one day, love that for me 🙄",
    "Why am I getting texts from a store I've never shopped at",
    "I don't remember subscribing to anything",
    "This is getting ridiculous",
    "Seriously? Again?",
    "How often are you going to text me",
    "I'm reporting this as spam",
    "Is this spam?",
    "These texts are annoying",
    "too many texts man",
    "¿Por qué me siguen llegando estos mensajes?",
    "Pourquoi je reçois ça?",
    "why is a shoe store texting me at 6am",
    "you guys text more than my mom",
    "I didn't give you permission to text me",
    "Why so many messages, I only bought one thing",
    "This is a lot of texts for a candle company",
    "Do you people ever sleep? 3 texts before noon",
    "what is this and why is it on my phone",
    "Did my number get sold?",
    "我没有订阅过这个",
    "kenapa saya dapat mesej ni?",
]

_INNOCENT_KEYWORD = [
    "what time does the sale end?",
    "can you cancel the blue one and keep the red?",
    "I'll stop by Saturday",
    "don't stop the deals lol",
    "please don't end the free shipping",
    "remove the gift wrap from my order please",
    "is the end of season sale online too?",
    "I can't quit you guys 😍",
    "the tracking stopped updating",
    "When does the promo end",
    "I need to cancel my order #5520, I ordered the wrong size",
    "Can I stop by the store to pick it up?",
    "Does the bus stop near your store?",
    "my package has been stuck at the same stop for 3 days",
    "the zipper stopped working after a week, can I exchange?",
    "Please remove the second mug from my cart, I only want one",
    "Can you remove my old address and use the new one?",
    "I never quit on a good sale 😂",
    "love this, never stop",
    "The end of the month works for delivery",
    "Can I cancel the subscription box but still get your texts?",
    "my card got cancelled so the payment failed, can I try again?",
    "Stop the presses, is that the jacket from the Instagram post?? 😍",
    "My kid won't stop wearing the dinosaur shirt lol",
    "I can't stop buying your candles",
    "Is the stopwatch still on sale?",
    "The app keeps quitting when I check out",
    "how do I remove an item from my order",
    "Does the discount code end tonight or tomorrow?",
    "I left the cart open because I had to stop and cook dinner, still want it",
    "Did the sale end already? The link says expired",
    "Free shipping on orders over $50 ends when?",
    "I quit my job so the treat yourself sale came at a perfect time haha",
    "can I opt out of the signature requirement for delivery?",
    "Can you end the pre-order early and ship what's in stock?",
    "Remove the name engraving please, I changed my mind",
    "The delivery guy stopped at the wrong house I think",
    "my order says cancelled but I didn't cancel it??",
    "Don't ever stop the Friday drops",
    "Best jeans I've ever bought, end of story",
    "Stop, that price is insane 😱 ordering now",
    "no way stop it 😭 I need the whole collection",
    "Is there an end date for the bundle deal?",
]

_ORDINARY = [
    "Where is my order?",
    "When will my package arrive?",
    "Does this come in a size medium?",
    "Thank you!",
    "❤️❤️❤️",
    "😍",
    "Love it, just ordered",
    "What's the return policy?",
    "Do you ship to Canada?",
    "is the discount applied at checkout or do I need a code",
    "my order number is 10234, it hasn't shipped",
    "Got my package today, everything fits great thanks!",
    "Do you have this in navy",
    "how long does shipping take to Texas",
    "Can I change my shipping address",
    "lol ok",
    "Thanks for the reminder, I forgot it in my cart",
    "👍",
    "Is the 20% off on everything or just sale items?",
    "I got charged twice for my order",
    "Hi, is this Brenda from the boutique?",
    "¿Tienen envío gratis?",
    "Merci, j'ai bien reçu ma commande!",
    "Chegou hoje, amei!",
    "收到了，谢谢",
    "Terima kasih, barang dah sampai",
    "what's the code again",
    "can I use two codes",
    "ok cool",
    "omg yes 🔥🔥",
    "Is the sweater true to size? I'm usually between a S and M",
    "Do you guys have a physical store in Toronto?",
    "My package says delivered but it's not here",
    "Can I get a gift receipt",
    "Ordered! can't wait",
    "Good morning to you too 😊",
    "Are these candles soy?",
    "k",
    "My grandson gave me this phone. How do I see the picture of the shoes?",
    "Thanks, I'll think about it",
]

_SECTIONS: list[tuple[str, str, list[str]]] = [
    ("revocation", "keyword", _KEYWORD),
    ("revocation", "paraphrase", _PARAPHRASE),
    ("revocation", "misspelling", _MISSPELLING),
    ("revocation", "spanish", _SPANISH),
    ("revocation", "french", _FRENCH),
    ("revocation", "portuguese", _PORTUGUESE),
    ("revocation", "chinese", _CHINESE),
    ("revocation", "malay", _MALAY),
    ("complaint", "complaint", _COMPLAINT),
    ("harmless", "innocent_keyword", _INNOCENT_KEYWORD),
    ("harmless", "ordinary", _ORDINARY),
]

HOLDOUT: list[tuple[str, str, str]] = [
    (text, label, family) for label, family, texts in _SECTIONS for text in texts
]
