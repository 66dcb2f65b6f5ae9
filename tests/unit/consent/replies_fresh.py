"""Fresh held-out SMS replies for the consent classifier: the fifth held-out set.

Written independently of the classifier and of the earlier data sets, and never used to tune the classifier.
Each row is ``(reply text, label, family)``. Labels follow the FCC 24-24 "reasonable person" standard
(47 CFR 64.1200(a)(10): consent may be revoked by any reasonable means, and STOP, QUIT, END, REVOKE,
OPT OUT, CANCEL and UNSUBSCRIBE are revocations per se) and the CTIA/AWS keyword lists (STOPALL; ARRET,
REMOVE, TD and 退订).

Labels and families:

- ``revocation``: ``keyword`` (a per-se or carrier keyword, alone or with politeness, emoji, repetition,
  a signature or as a clause of its own), ``paraphrase`` (other English wording a reasonable person reads
  as "stop texting me"), ``misspelling`` (one edit from a keyword, including a digit or symbol for a
  letter), ``spanish``, ``french`` (with Québécois), ``portuguese``, ``chinese`` (simplified and
  traditional) and ``malay`` (Malay and Indonesian).
- ``complaint``: ``complaint``, an ambiguous complaint about the texts that is not an explicit request;
  a person must at least look at it.
- ``harmless``: ``lookalike`` (a keyword-like word used innocently: orders, deliveries, store visits,
  subscription boxes, excitement) and ``conversation`` (ordinary questions, thanks and emoji). Neither may
  end the subscription.

``EVERYDAY`` holds the wording most people use; ``LONG_TAIL`` holds idioms, regional English, polite and
indirect requests, sarcasm, curt replies, emoji, typos, capitals, signatures and long messages with the
request buried. ``FRESH`` is both.
"""

from __future__ import annotations

import itertools

REVOCATION = "revocation"
COMPLAINT = "complaint"
HARMLESS = "harmless"

EVERYDAY: list[tuple[str, str, str]] = [
    # --- revocation / keyword ---
    ("STOP", REVOCATION, "keyword"),
    ("Stop please", REVOCATION, "keyword"),
    ("Please stop", REVOCATION, "keyword"),
    ("stop thanks", REVOCATION, "keyword"),
    ("Stop.", REVOCATION, "keyword"),
    ("STOP!!", REVOCATION, "keyword"),
    ("Stop, thank you", REVOCATION, "keyword"),
    ("Unsubscribe", REVOCATION, "keyword"),
    ("Unsubscribe please", REVOCATION, "keyword"),
    ("please unsubscribe", REVOCATION, "keyword"),
    ("Unsubscribe, thanks", REVOCATION, "keyword"),
    ("Cancel", REVOCATION, "keyword"),
    ("Cancel please", REVOCATION, "keyword"),
    ("END", REVOCATION, "keyword"),
    ("End please", REVOCATION, "keyword"),
    ("Quit", REVOCATION, "keyword"),
    ("quit please", REVOCATION, "keyword"),
    ("Revoke", REVOCATION, "keyword"),
    ("Opt out", REVOCATION, "keyword"),
    ("Opt out please", REVOCATION, "keyword"),
    ("STOPALL", REVOCATION, "keyword"),
    ("ARRET", REVOCATION, "keyword"),
    ("REMOVE", REVOCATION, "keyword"),
    ("Remove please", REVOCATION, "keyword"),
    ("TD", REVOCATION, "keyword"),
    # --- revocation / paraphrase ---
    ("Please stop texting me", REVOCATION, "paraphrase"),
    ("Stop texting me", REVOCATION, "paraphrase"),
    ("Stop sending me these messages", REVOCATION, "paraphrase"),
    ("Don't text me anymore", REVOCATION, "paraphrase"),
    ("Do not text me again", REVOCATION, "paraphrase"),
    ("Please don't send me any more texts", REVOCATION, "paraphrase"),
    ("No more texts please", REVOCATION, "paraphrase"),
    ("No more messages", REVOCATION, "paraphrase"),
    ("Take me off your list", REVOCATION, "paraphrase"),
    ("Please take me off your list", REVOCATION, "paraphrase"),
    ("Take me off the texting list", REVOCATION, "paraphrase"),
    ("Remove me from your list", REVOCATION, "paraphrase"),
    ("Remove my number please", REVOCATION, "paraphrase"),
    ("Delete my number", REVOCATION, "paraphrase"),
    ("Please delete my phone number from your list", REVOCATION, "paraphrase"),
    ("I don't want these texts anymore", REVOCATION, "paraphrase"),
    ("I don't want to receive these messages", REVOCATION, "paraphrase"),
    ("I no longer wish to receive text messages", REVOCATION, "paraphrase"),
    ("I want to unsubscribe", REVOCATION, "paraphrase"),
    ("I'd like to unsubscribe from texts", REVOCATION, "paraphrase"),
    ("How do I unsubscribe?", REVOCATION, "paraphrase"),
    ("How do I stop these texts?", REVOCATION, "paraphrase"),
    ("Can you stop texting me?", REVOCATION, "paraphrase"),
    ("Can I get off this list?", REVOCATION, "paraphrase"),
    ("I want out of these texts", REVOCATION, "paraphrase"),
    ("Not interested, please stop texting", REVOCATION, "paraphrase"),
    ("Not interested, don't text me", REVOCATION, "paraphrase"),
    ("I'm not interested in these messages, please remove me", REVOCATION, "paraphrase"),
    ("Please stop sending promotions to this number", REVOCATION, "paraphrase"),
    ("I don't want promotional texts", REVOCATION, "paraphrase"),
    ("Stop messaging me", REVOCATION, "paraphrase"),
    ("Stop contacting me", REVOCATION, "paraphrase"),
    ("Don't contact me again", REVOCATION, "paraphrase"),
    ("Never text me again", REVOCATION, "paraphrase"),
    ("Please stop the texts", REVOCATION, "paraphrase"),
    ("I'm done with these texts", REVOCATION, "paraphrase"),
    ("I've had enough of these messages", REVOCATION, "paraphrase"),
    ("Enough texts already", REVOCATION, "paraphrase"),
    ("Opt me out", REVOCATION, "paraphrase"),
    ("Please opt me out of text messages", REVOCATION, "paraphrase"),
    ("Cancel my text subscription", REVOCATION, "paraphrase"),
    ("Cancel these texts", REVOCATION, "paraphrase"),
    ("End these messages please", REVOCATION, "paraphrase"),
    ("I don't want to get texts from you", REVOCATION, "paraphrase"),
    ("Please discontinue these messages", REVOCATION, "paraphrase"),
    ("I no longer want marketing texts", REVOCATION, "paraphrase"),
    ("Wrong number, please stop texting", REVOCATION, "paraphrase"),
    ("This isn't Sarah's number anymore, please remove it", REVOCATION, "paraphrase"),
    ("I never signed up, please take me off", REVOCATION, "paraphrase"),
    ("Please quit texting me", REVOCATION, "paraphrase"),
    ("Leave me alone", REVOCATION, "paraphrase"),
    ("Stop spamming me", REVOCATION, "paraphrase"),
    ("Unsubscribe me from all texts", REVOCATION, "paraphrase"),
    ("Please take my number off your list", REVOCATION, "paraphrase"),
    ("I withdraw my consent to receive texts", REVOCATION, "paraphrase"),
    ("I don't want any more messages from you guys", REVOCATION, "paraphrase"),
    ("Stop sending texts to this number", REVOCATION, "paraphrase"),
    # --- revocation / spanish ---
    ("Basta", REVOCATION, "spanish"),
    ("No más mensajes", REVOCATION, "spanish"),
    ("Por favor dejen de enviarme mensajes", REVOCATION, "spanish"),
    ("Ya no me envíen mensajes", REVOCATION, "spanish"),
    ("Quiero darme de baja", REVOCATION, "spanish"),
    ("Darme de baja", REVOCATION, "spanish"),
    ("Baja", REVOCATION, "spanish"),
    ("No quiero recibir más mensajes", REVOCATION, "spanish"),
    ("Sáquenme de su lista", REVOCATION, "spanish"),
    ("Cancelar", REVOCATION, "spanish"),
    ("Dejen de escribirme", REVOCATION, "spanish"),
    ("Borren mi número por favor", REVOCATION, "spanish"),
    ("No me interesa, no me escriban más", REVOCATION, "spanish"),
    # --- revocation / french ---
    ("Arrête", REVOCATION, "french"),
    ("Arrêtez de m'envoyer des messages", REVOCATION, "french"),
    ("Je veux me désabonner", REVOCATION, "french"),
    ("Désabonner", REVOCATION, "french"),
    ("Retirez-moi de votre liste", REVOCATION, "french"),
    ("Plus de messages svp", REVOCATION, "french"),
    ("Ne m'écrivez plus", REVOCATION, "french"),
    ("Je ne veux plus recevoir vos textos", REVOCATION, "french"),
    ("Supprimez mon numéro", REVOCATION, "french"),
    ("Merci de ne plus m'envoyer de SMS", REVOCATION, "french"),
    # --- revocation / portuguese ---
    ("Parar", REVOCATION, "portuguese"),
    ("Pare de me mandar mensagens", REVOCATION, "portuguese"),
    ("Não quero mais receber mensagens", REVOCATION, "portuguese"),
    ("Cancelar inscrição", REVOCATION, "portuguese"),
    ("Descadastrar", REVOCATION, "portuguese"),
    ("Quero sair da lista", REVOCATION, "portuguese"),
    ("Não me envie mais SMS", REVOCATION, "portuguese"),
    ("Remover meu número", REVOCATION, "portuguese"),
    # --- revocation / chinese ---
    ("退订", REVOCATION, "chinese"),
    ("退訂", REVOCATION, "chinese"),
    ("请不要再发短信给我", REVOCATION, "chinese"),
    ("取消订阅", REVOCATION, "chinese"),
    ("停止发送", REVOCATION, "chinese"),
    ("我不想再收到你们的短信", REVOCATION, "chinese"),
    ("請停止發送訊息", REVOCATION, "chinese"),
    # --- revocation / malay ---
    ("Berhenti", REVOCATION, "malay"),
    ("Tolong berhenti hantar mesej", REVOCATION, "malay"),
    ("Jangan hantar mesej lagi", REVOCATION, "malay"),
    ("Berhenti berlangganan", REVOCATION, "malay"),
    ("Tolong jangan kirim pesan lagi", REVOCATION, "malay"),
    ("Saya tidak mau menerima pesan lagi", REVOCATION, "malay"),
    ("Hapus nomor saya", REVOCATION, "malay"),
    # --- complaint ---
    ("Why am I getting these?", COMPLAINT, "complaint"),
    ("I never signed up for this", COMPLAINT, "complaint"),
    ("How did you get my number?", COMPLAINT, "complaint"),
    ("This is way too many texts", COMPLAINT, "complaint"),
    ("Too many messages", COMPLAINT, "complaint"),
    ("Not interested", COMPLAINT, "complaint"),
    ("Spam", COMPLAINT, "complaint"),
    ("Why do you keep texting me?", COMPLAINT, "complaint"),
    ("Wrong number", COMPLAINT, "complaint"),
    ("I don't remember signing up for this", COMPLAINT, "complaint"),
    ("Who gave you my number?", COMPLAINT, "complaint"),
    ("This is getting annoying", COMPLAINT, "complaint"),
    ("Can you text less often?", COMPLAINT, "complaint"),
    # --- harmless / lookalike ---
    ("Can I stop by the store to pick it up?", HARMLESS, "innocent_keyword"),
    ("I'll stop by after work to pick up my order", HARMLESS, "innocent_keyword"),
    ("When does the sale end?", HARMLESS, "innocent_keyword"),
    ("What time does the sale end tonight?", HARMLESS, "innocent_keyword"),
    ("Does the promo end at midnight?", HARMLESS, "innocent_keyword"),
    ("Can I cancel my order? I ordered the wrong size", HARMLESS, "innocent_keyword"),
    ("I need to cancel order #1043", HARMLESS, "innocent_keyword"),
    ("Why did my order get cancelled?", HARMLESS, "innocent_keyword"),
    ("Please cancel my order, but keep the texts coming", HARMLESS, "innocent_keyword"),
    ("Can you remove the gift wrap from my order?", HARMLESS, "innocent_keyword"),
    ("How do I remove an item from my cart?", HARMLESS, "innocent_keyword"),
    ("Can you cancel the express shipping and send it standard?", HARMLESS, "innocent_keyword"),
    ("Cancel the second pair, I only need one", HARMLESS, "innocent_keyword"),
    ("Is the end-of-season sale in store too?", HARMLESS, "innocent_keyword"),
    ("Can I opt out of the signature requirement for delivery?", HARMLESS, "innocent_keyword"),
    ("Is there a way to opt out of the paper receipt?", HARMLESS, "innocent_keyword"),
    ("I want to cancel my subscription box but keep getting the texts", HARMLESS, "innocent_keyword"),
    ("How do I skip or cancel next month's box?", HARMLESS, "innocent_keyword"),
    ("Tracking has been stopped at the depot for 3 days, can you check?", HARMLESS, "innocent_keyword"),
    ("My package stopped moving, where is it?", HARMLESS, "innocent_keyword"),
    ("Does the code work until the end of today?", HARMLESS, "innocent_keyword"),
    ("Can the courier leave it at the end of my driveway?", HARMLESS, "innocent_keyword"),
    ("Please remove the price tag, it's a gift", HARMLESS, "innocent_keyword"),
    ("I'd like to remove my old address from my account", HARMLESS, "innocent_keyword"),
    # --- harmless / conversation ---
    ("Thanks!", HARMLESS, "conversation"),
    ("Thank you so much 😊", HARMLESS, "conversation"),
    ("What sizes do you have?", HARMLESS, "conversation"),
    ("Do you ship to Canada?", HARMLESS, "conversation"),
    ("When will my order arrive?", HARMLESS, "conversation"),
    ("Is the code still valid?", HARMLESS, "conversation"),
    ("Got it, thanks", HARMLESS, "conversation"),
    ("Do you have it in blue?", HARMLESS, "conversation"),
    ("How long is shipping to Toronto?", HARMLESS, "conversation"),
    ("Where is my package?", HARMLESS, "conversation"),
    ("Can I exchange for a larger size?", HARMLESS, "conversation"),
    ("Is this in stock in medium?", HARMLESS, "conversation"),
    ("What's the discount code again?", HARMLESS, "conversation"),
    ("Awesome, see you Saturday", HARMLESS, "conversation"),
    ("Ok sounds good", HARMLESS, "conversation"),
    ("Do you sell gift cards?", HARMLESS, "conversation"),
]

LONG_TAIL: list[tuple[str, str, str]] = [
    # --- revocation / keyword: shouting, emoji, repetition, clauses, signatures ---
    ("STOP!!!!!!!!", REVOCATION, "keyword"),
    ("🛑 STOP 🛑", REVOCATION, "keyword"),
    ("stop 🙏", REVOCATION, "keyword"),
    ("STOP STOP STOP", REVOCATION, "keyword"),
    ("stop. stop. STOP.", REVOCATION, "keyword"),
    ("STOP. Who is this?", REVOCATION, "keyword"),
    ("Stop. Wrong number", REVOCATION, "keyword"),
    ("Stop\n\nSent from my iPhone", REVOCATION, "keyword"),
    ("STOP -Linda", REVOCATION, "keyword"),
    ("Stop.\n--\nRaj Mehta\nMehta Dental Group", REVOCATION, "keyword"),
    ("UNSUBSCRIBE ME", REVOCATION, "keyword"),
    ("Quit. Thanks.", REVOCATION, "keyword"),
    ("OPTOUT pls", REVOCATION, "keyword"),
    ("cancel 👋", REVOCATION, "keyword"),
    ("END 🙄", REVOCATION, "keyword"),
    ("Stop. I mean it.", REVOCATION, "keyword"),
    ("Ok stop", REVOCATION, "keyword"),
    ("Arrêt", REVOCATION, "keyword"),
    ("td thx", REVOCATION, "keyword"),
    ("REVOKE!!", REVOCATION, "keyword"),
    ("Stop pls ty", REVOCATION, "keyword"),
    ("stop ✋", REVOCATION, "keyword"),
    ("Remove. Thank you", REVOCATION, "keyword"),
    ("stop all please", REVOCATION, "keyword"),
    # --- revocation / paraphrase: idioms, regional, polite, sarcastic, curt, buried ---
    ("Lose my number", REVOCATION, "paraphrase"),
    ("lose my digits pls", REVOCATION, "paraphrase"),
    ("y'all gotta quit blowing up my phone", REVOCATION, "paraphrase"),
    ("Kindly do the needful and remove my number from your list", REVOCATION, "paraphrase"),
    ("Please I beg, no more messages", REVOCATION, "paraphrase"),
    ("Cheers, but I'd rather not get these texts anymore", REVOCATION, "paraphrase"),
    ("No more texts ta", REVOCATION, "paraphrase"),
    ("Would you mind awfully not texting me anymore? Ta", REVOCATION, "paraphrase"),
    ("I would appreciate it if you didn't text me again", REVOCATION, "paraphrase"),
    ("Wow another text. Love that for me. Take me off.", REVOCATION, "paraphrase"),
    ("Oh great, another sale. Please just stop.", REVOCATION, "paraphrase"),
    ("Text me one more time and see what happens", REVOCATION, "paraphrase"),
    ("stahp", REVOCATION, "paraphrase"),
    ("nomore txts", REVOCATION, "paraphrase"),
    ("pls dnt txt me", REVOCATION, "paraphrase"),
    ("dont txt this # again", REVOCATION, "paraphrase"),
    ("NO MORE TEXTS!!!!", REVOCATION, "paraphrase"),
    ("DO NOT TEXT ME", REVOCATION, "paraphrase"),
    ("GET ME OFF THIS LIST", REVOCATION, "paraphrase"),
    ("unsub", REVOCATION, "paraphrase"),
    ("unsub pls", REVOCATION, "paraphrase"),
    ("No texts please 🚫📱", REVOCATION, "paraphrase"),
    ("I'm out ✌️ no more texts", REVOCATION, "paraphrase"),
    ("✋ no more messages", REVOCATION, "paraphrase"),
    ("Cease and desist texting this number", REVOCATION, "paraphrase"),
    ("Please cease all SMS communication", REVOCATION, "paraphrase"),
    ("Kindly refrain from sending further messages", REVOCATION, "paraphrase"),
    ("I hereby withdraw consent to be contacted by SMS", REVOCATION, "paraphrase"),
    (
        "This is Mike's wife. He passed away in March. Please stop sending messages to this number.",
        REVOCATION,
        "paraphrase",
    ),
    ("New phone, who dis? Either way pls stop texting", REVOCATION, "paraphrase"),
    ("My kid signed me up for this without asking, please take me off", REVOCATION, "paraphrase"),
    (
        "Hey, thanks for the heads up about the sale! I actually bought the green jacket last month and I "
        "love it, wore it all weekend. But I'm getting a ton of texts from different stores lately and I'm "
        "trying to cut back, so could you take me off the text list? Thanks, Jen",
        REVOCATION,
        "paraphrase",
    ),
    (
        "Hi there! Quick note: I ordered the linen set in May, it arrived fine and my sister wants the same "
        "one, so I'll tell her about the sale. That said, I'm trying to cut down on how many texts I get, so "
        "please don't send me marketing messages anymore. Have a great day! - Tom",
        REVOCATION,
        "paraphrase",
    ),
    (
        "Hello, I'm writing because I've received about six messages this week. The products are nice but "
        "I'd prefer email only. Please remove this phone number from your SMS list.",
        REVOCATION,
        "paraphrase",
    ),
    (
        "Hey so I know I signed up at checkout but honestly I don't read these and they just clutter my "
        "phone. Going to have to bow out of the texts. No hard feelings!",
        REVOCATION,
        "paraphrase",
    ),
    ("Please stop texting me\n\nSent from my Galaxy", REVOCATION, "paraphrase"),
    ("I'll pass on the texts from now on, thanks", REVOCATION, "paraphrase"),
    ("Count me out of the texts", REVOCATION, "paraphrase"),
    ("Texts are not for me, please unsubscribe me", REVOCATION, "paraphrase"),
    ("I'm gonna need y'all to stop texting me", REVOCATION, "paraphrase"),
    ("Bruh stop texting me 😭", REVOCATION, "paraphrase"),
    ("Fam please stop with the texts", REVOCATION, "paraphrase"),
    ("Please stop texting me at work, actually just stop texting me altogether", REVOCATION, "paraphrase"),
    ("ok enough, delete my number", REVOCATION, "paraphrase"),
    ("I said no more texts. How many times?", REVOCATION, "paraphrase"),
    ("For the third time: take me off your list", REVOCATION, "paraphrase"),
    ("Are you going to keep texting me or do I have to report you? Remove me.", REVOCATION, "paraphrase"),
    ("Please remove my cell from your records.\nRegards,\nDr. A. Patel", REVOCATION, "paraphrase"),
    ("Who is this? Remove me", REVOCATION, "paraphrase"),
    ("I'm begging you, stop with the texts lol", REVOCATION, "paraphrase"),
    ("Sorry but I don't want these anymore", REVOCATION, "paraphrase"),
    ("Nah, I'm good. No more texts", REVOCATION, "paraphrase"),
    ("Don't want these. Bye", REVOCATION, "paraphrase"),
    ("Please go away", REVOCATION, "paraphrase"),
    ("Kill the texts", REVOCATION, "paraphrase"),
    ("Switch my texts off please", REVOCATION, "paraphrase"),
    ("Turn off these texts", REVOCATION, "paraphrase"),
    ("Can you make these texts stop please", REVOCATION, "paraphrase"),
    ("do not msg me anymore thx", REVOCATION, "paraphrase"),
    ("I don't want to be on your text list, thank you kindly", REVOCATION, "paraphrase"),
    ("Take me off ur list thx", REVOCATION, "paraphrase"),
    ("pls remove frm list", REVOCATION, "paraphrase"),
    # --- revocation / misspelling: one edit from a keyword ---
    ("stpo", REVOCATION, "misspelling"),
    ("Sotp", REVOCATION, "misspelling"),
    ("stopp", REVOCATION, "misspelling"),
    ("STOPP PLEASE", REVOCATION, "misspelling"),
    ("st0p", REVOCATION, "misspelling"),
    ("ST0P!!", REVOCATION, "misspelling"),
    ("$top", REVOCATION, "misspelling"),
    ("5top", REVOCATION, "misspelling"),
    ("stoo", REVOCATION, "misspelling"),
    ("stp", REVOCATION, "misspelling"),
    ("stp pls", REVOCATION, "misspelling"),
    ("unsubscibe", REVOCATION, "misspelling"),
    ("Unsubcribe", REVOCATION, "misspelling"),
    ("unsubscrbe", REVOCATION, "misspelling"),
    ("unsubscribee", REVOCATION, "misspelling"),
    ("unsubscr1be", REVOCATION, "misspelling"),
    ("unsusbcribe", REVOCATION, "misspelling"),
    ("unsubscrib", REVOCATION, "misspelling"),
    ("cancle", REVOCATION, "misspelling"),
    ("cancell", REVOCATION, "misspelling"),
    ("Cancal", REVOCATION, "misspelling"),
    ("c@ncel", REVOCATION, "misspelling"),
    ("qiut", REVOCATION, "misspelling"),
    ("quitt", REVOCATION, "misspelling"),
    ("qu1t", REVOCATION, "misspelling"),
    ("revok", REVOCATION, "misspelling"),
    ("rev0ke", REVOCATION, "misspelling"),
    ("0pt out", REVOCATION, "misspelling"),
    ("optuot", REVOCATION, "misspelling"),
    ("remvoe", REVOCATION, "misspelling"),
    ("remov", REVOCATION, "misspelling"),
    ("ennd", REVOCATION, "misspelling"),
    ("stopal", REVOCATION, "misspelling"),
    # --- revocation / spanish ---
    ("Ya basta de mensajes 😤", REVOCATION, "spanish"),
    ("no mas msjs porfa", REVOCATION, "spanish"),
    ("Favor de no enviar más mensajes", REVOCATION, "spanish"),
    ("Alto", REVOCATION, "spanish"),
    ("Quítenme de la lista, gracias", REVOCATION, "spanish"),
    ("Ya no quiero sus promociones", REVOCATION, "spanish"),
    ("Paren ya con los mensajes", REVOCATION, "spanish"),
    ("No me vuelvan a escribir", REVOCATION, "spanish"),
    ("Desuscribir", REVOCATION, "spanish"),
    ("Quiero cancelar la suscripción a los mensajes", REVOCATION, "spanish"),
    ("Dejen de mandarme textos, ¿sí? Gracias", REVOCATION, "spanish"),
    (
        "Hola, compré unas botas el mes pasado y todo bien, pero ya son demasiados mensajes. Por favor "
        "eliminen mi número de su lista. Saludos, Lupita",
        REVOCATION,
        "spanish",
    ),
    # --- revocation / french (with Québécois) ---
    ("Enlevez-moi de la liste", REVOCATION, "french"),
    ("Lâchez-moi avec vos textos", REVOCATION, "french"),
    ("Arrêtez de me texter", REVOCATION, "french"),
    ("Pu de textos svp", REVOCATION, "french"),
    ("Chu tanné de vos messages, arrêtez", REVOCATION, "french"),
    ("Je retire mon consentement", REVOCATION, "french"),
    ("Veuillez cesser l'envoi de messages", REVOCATION, "french"),
    ("Fini les textos pour moi, merci", REVOCATION, "french"),
    ("Non merci, plus de textos", REVOCATION, "french"),
    ("Désinscription", REVOCATION, "french"),
    (
        "Bonjour, j'ai bien reçu ma commande, merci! Par contre je préfère ne plus recevoir de messages "
        "texte. Pouvez-vous me retirer? Bonne journée",
        REVOCATION,
        "french",
    ),
    # --- revocation / portuguese ---
    ("Me tira dessa lista", REVOCATION, "portuguese"),
    ("Para de mandar mensagem por favor", REVOCATION, "portuguese"),
    ("Chega de mensagens", REVOCATION, "portuguese"),
    ("Não tenho interesse, parem de enviar", REVOCATION, "portuguese"),
    ("Por favor, deixem de me enviar promoções", REVOCATION, "portuguese"),
    ("Sair da lista", REVOCATION, "portuguese"),
    (
        "Oi! Amei a bolsa que comprei, mas tá vindo muita mensagem. Pode me tirar da lista de SMS? Obrigada",
        REVOCATION,
        "portuguese",
    ),
    # --- revocation / chinese ---
    ("不要再发了", REVOCATION, "chinese"),
    ("別再傳訊息給我了", REVOCATION, "chinese"),
    ("把我从名单里删除", REVOCATION, "chinese"),
    ("不需要，谢谢，别再发了", REVOCATION, "chinese"),
    ("退订 谢谢 🙏", REVOCATION, "chinese"),
    ("你们好烦，别再发了", REVOCATION, "chinese"),
    # --- revocation / malay (Malay and Indonesian) ---
    ("Saya tak nak terima SMS lagi", REVOCATION, "malay"),
    ("Keluarkan saya dari senarai", REVOCATION, "malay"),
    ("Nyahlanggan", REVOCATION, "malay"),
    ("Jangan sms saya lagi", REVOCATION, "malay"),
    ("Udah, jangan kirim lagi ya", REVOCATION, "malay"),
    ("Stop kirim promo ya kak", REVOCATION, "malay"),
    # --- complaint ---
    ("Ugh. Again?", COMPLAINT, "complaint"),
    ("3 texts in one day? Really?", COMPLAINT, "complaint"),
    ("This is the fifth text this week 😒", COMPLAINT, "complaint"),
    ("My phone is blowing up with your texts", COMPLAINT, "complaint"),
    ("lol you guys text more than my mom", COMPLAINT, "complaint"),
    ("Reported as spam", COMPLAINT, "complaint"),
    ("I'm on the Do Not Call registry, you know", COMPLAINT, "complaint"),
    ("Why are you texting me at 7am", COMPLAINT, "complaint"),
    ("I signed up for shipping updates, not ads", COMPLAINT, "complaint"),
    ("Seriously?? Every day?? 🙄", COMPLAINT, "complaint"),
    ("Do you really need to text me every single day?", COMPLAINT, "complaint"),
    ("Only text me about the big sales please", COMPLAINT, "complaint"),
    ("Is this a scam? I don't know this store", COMPLAINT, "complaint"),
    (
        "I get texts from you almost every day now and honestly it's a bit much. I do like the store though.",
        COMPLAINT,
        "complaint",
    ),
    # --- harmless / lookalike: orders, deliveries, visits, boxes, excitement ---
    ("OMG stop, these are so cute 😍", HARMLESS, "innocent_keyword"),
    ("Stoppp I need all of these 😩", HARMLESS, "innocent_keyword"),
    ("Stop it, that price is insane 🔥", HARMLESS, "innocent_keyword"),
    ("Quit playing, is this really 70% off??", HARMLESS, "innocent_keyword"),
    ("I can't stop wearing the hoodie I bought lol", HARMLESS, "innocent_keyword"),
    ("Couldn't stop smiling when the package came 🥹", HARMLESS, "innocent_keyword"),
    ("Never stop texting me these deals 😂", HARMLESS, "innocent_keyword"),
    ("Please don't stop sending coupons, they're great", HARMLESS, "innocent_keyword"),
    ("I'm obsessed, can't stop buying from you", HARMLESS, "innocent_keyword"),
    ("My daughter quit dance, can I return the unused leggings?", HARMLESS, "innocent_keyword"),
    ("I quit my job so now I have time to shop 😅 where's the code", HARMLESS, "innocent_keyword"),
    ("The bus stop is right by your shop, so convenient", HARMLESS, "innocent_keyword"),
    ("The stopper on the wine decanter set was missing", HARMLESS, "innocent_keyword"),
    ("Is it a full stop or a dash in the discount code?", HARMLESS, "innocent_keyword"),
    ("Don't cancel my order please, I already paid!", HARMLESS, "innocent_keyword"),
    ("Cancelled my order by mistake, can you restore it?", HARMLESS, "innocent_keyword"),
    ("At the end of the day your candles are the best ones I've bought", HARMLESS, "innocent_keyword"),
    ("Remove the monogram please, I typed it wrong", HARMLESS, "innocent_keyword"),
    ("Is the sale ending soon or do I have time till payday", HARMLESS, "innocent_keyword"),
    ("The end table I ordered came scratched, can I swap it?", HARMLESS, "innocent_keyword"),
    ("Will the driver stop at the gate or come to the door?", HARMLESS, "innocent_keyword"),
    (
        "Hi! Just wanted to say the order arrived and my mom loved the scarf. I'll stop by the Queen St "
        "location next week to grab another one for my aunt. Do you still have the grey?",
        HARMLESS,
        "innocent_keyword",
    ),
    # --- harmless / conversation ---
    ("❤️", HARMLESS, "conversation"),
    ("😍😍😍", HARMLESS, "conversation"),
    ("lol nice", HARMLESS, "conversation"),
    ("Merci beaucoup!", HARMLESS, "conversation"),
    ("¡Gracias!", HARMLESS, "conversation"),
    ("谢谢", HARMLESS, "conversation"),
    ("Terima kasih ya", HARMLESS, "conversation"),
    ("Obrigada!", HARMLESS, "conversation"),
    ("Ooh that's cute 😍", HARMLESS, "conversation"),
    ("Thx hun xx", HARMLESS, "conversation"),
    ("Cheers mate", HARMLESS, "conversation"),
    ("is the promo code case sensitive lol", HARMLESS, "conversation"),
    ("Already ordered 2 haha", HARMLESS, "conversation"),
    ("Can u hold one for me til friday", HARMLESS, "conversation"),
    ("Do you price match? The other site has it $5 cheaper", HARMLESS, "conversation"),
]

FRESH: list[tuple[str, str, str]] = EVERYDAY + LONG_TAIL

FAMILIES: dict[str, frozenset[str]] = {
    REVOCATION: frozenset(
        {"keyword", "paraphrase", "misspelling", "spanish", "french", "portuguese", "chinese", "malay"}
    ),
    COMPLAINT: frozenset({"complaint"}),
    HARMLESS: frozenset({"innocent_keyword", "conversation"}),
}

# The per-se words (47 CFR 64.1200(a)(10)) and the CTIA/AWS additions, used only by the self-check.
KEYWORDS = ("stop", "quit", "end", "revoke", "optout", "cancel", "unsubscribe", "stopall", "arret", "remove")


def _edits(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def _one_edit_from_keyword(text: str) -> bool:
    tokens = ["".join(c for c in word if c.isalnum() or c in "$@") for word in text.casefold().split()]
    candidates = tokens + [a + b for a, b in itertools.pairwise(tokens)]
    return any(_edits(t, k) == 1 for t in candidates for k in KEYWORDS)


def _self_check() -> None:
    import re
    from collections import Counter

    seen: dict[str, str] = {}
    for text, label, family in FRESH:
        assert label in FAMILIES, (text, label)
        assert family in FAMILIES[label], (text, label, family)
        key = "".join(text.casefold().split())
        assert key not in seen, f"duplicate: {text!r} ~ {seen[key]!r}"
        seen[key] = text
        if family == "misspelling":
            assert _one_edit_from_keyword(text), f"not one edit from a keyword: {text!r}"
    assert len(FRESH) >= 320, len(FRESH)

    lookalike = re.compile(r"\b(stop|end|cancel|quit|remove|opt\W?out|unsubscribe|revoke)", re.IGNORECASE)
    lookalikes = [text for text, _, family in FRESH if family == "innocent_keyword"]
    assert all(lookalike.search(text) for text in lookalikes), [
        t for t in lookalikes if not lookalike.search(t)
    ]
    assert len(lookalikes) >= 35, len(lookalikes)

    by_label = Counter(label for _, label, _ in FRESH)
    by_family = Counter((label, family) for _, label, family in FRESH)
    print(f"rows: {len(FRESH)} (everyday {len(EVERYDAY)}, long tail {len(LONG_TAIL)})")
    for label in FAMILIES:
        print(f"{label}: {by_label[label]}")
        for family in sorted(FAMILIES[label]):
            print(f"    {family}: {by_family[label, family]}")


if __name__ == "__main__":
    _self_check()
