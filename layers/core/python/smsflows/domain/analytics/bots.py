"""Which requests for a short link are a person, and which a link preview, a prefetch or a bot (issue 16).

iMessage, WhatsApp, Slack, Facebook, Twitter/X, Telegram, Discord, LinkedIn and Google fetch a link to draw a
preview the moment a text arrives or is pasted; mail and messaging clients prefetch; scanners crawl. They are
redirected like anyone (a preview shows the real page) but never counted: a click is a person's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Agents that announce themselves (case-insensitive substrings). iMessage's previewer sends
# "… facebookexternalhit/1.1 Facebot Twitterbot/1.0", so it is caught by those names.
_KNOWN = (
    "facebookexternalhit", "facebot", "facebookcatalog", "meta-externalagent", "twitterbot", "slackbot",
    "slack-imgproxy", "whatsapp", "telegrambot", "discordbot", "linkedinbot", "pinterest", "googlebot",
    "google-pagerenderer", "google-read-aloud", "adsbot-google", "mediapartners-google", "apis-google",
    "feedfetcher-google", "googleother", "google-inspectiontool", "bingbot", "bingpreview", "applebot",
    "yandex", "baiduspider", "duckduckbot", "skypeuripreview", "microsoft preview", "msteams",
    "snapchat", "viber", "line/", "kakaotalk-scrap", "iframely", "embedly", "outbrain", "vkshare",
    "redditbot", "mastodon", "bluesky", "headlesschrome", "phantomjs", "lighthouse", "python-requests",
    "python-urllib", "aiohttp", "httpx", "curl/", "wget/", "go-http-client", "java/", "okhttp/",
    "libwww-perl", "node-fetch", "axios/", "scrapy", "petalbot", "semrushbot", "ahrefsbot", "mj12bot",
)  # fmt: skip
# Generic words bots put in their agent string, as words (so a "CUBOT" phone is a phone).
_GENERIC = re.compile(r"(?i)(?:^|[\s;(/+_-])(?:bot|crawler|spider|scanner|preview|fetcher|monitor)(?:[\s;)/+_-]|$)"
                      r"|(?i:[a-z]bot/)|(?i:crawler|spider)")  # fmt: skip
_PREFETCH_HEADERS = ("purpose", "sec-purpose", "x-purpose", "x-moz")


def not_a_person(method: str, headers: Mapping[str, str]) -> str | None:
    """Why this request is no person's click (head | prefetch | no_agent | bot), or None for a person."""
    if method.upper() == "HEAD":
        return "head"
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in _PREFETCH_HEADERS:
        value = lowered.get(name, "").lower()
        if "prefetch" in value or "preview" in value or "prerender" in value:
            return "prefetch"
    agent = lowered.get("user-agent", "").strip()
    if not agent:
        return "no_agent"
    low = agent.lower()
    if any(name in low for name in _KNOWN) or _GENERIC.search(agent):
        return "bot"
    return None
