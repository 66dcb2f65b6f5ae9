"""A click is a person's (issue 16 part 1): link previews, prefetches and bots are redirected but never
counted. The agents are the ones these services send; the people, today's phones and browsers."""

from __future__ import annotations

import pytest

from smsflows.domain.analytics.bots import not_a_person

PREVIEWERS = {
    "imessage": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
    "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
    "whatsapp": "WhatsApp/2.23.20.0 A",
    "slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "twitter": "Twitterbot/1.0",
    "google": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "telegram": "TelegramBot (like TwitterBot)",
    "discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "linkedin": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "generic": "Mozilla/5.0 (compatible; ExampleCrawler/3.1; +https://crawler.example)",
    "a word bot": "LinkChecker bot 2.0",
    "scanner": "Mozilla/5.0 (compatible; SafeLinks scanner)",
    "headless": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
    "curl": "curl/8.5.0",
    "python": "python-requests/2.32.3",
}
PEOPLE = {
    "iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1",
    "android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "cubot phone": "Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36",
    "samsung": "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
    "desktop firefox": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
}


@pytest.mark.parametrize("agent", PREVIEWERS.values(), ids=PREVIEWERS.keys())
def test_link_previews_and_bots_are_not_people(agent):
    assert not_a_person("GET", {"User-Agent": agent}) == "bot"


@pytest.mark.parametrize("agent", PEOPLE.values(), ids=PEOPLE.keys())
def test_phones_and_browsers_are_people(agent):
    assert not_a_person("GET", {"user-agent": agent}) is None


def test_head_prefetch_and_no_agent_are_not_clicks():
    person = PEOPLE["iphone"]
    assert not_a_person("HEAD", {"User-Agent": person}) == "head"
    assert not_a_person("GET", {"User-Agent": person, "Sec-Purpose": "prefetch;prerender"}) == "prefetch"
    assert not_a_person("GET", {"User-Agent": person, "Purpose": "prefetch"}) == "prefetch"
    assert not_a_person("GET", {"User-Agent": person, "Sec-Purpose": "Prerender"}) == "prefetch"
    assert not_a_person("GET", {"User-Agent": person, "Sec-Purpose": ""}) is None
    assert not_a_person("GET", {"User-Agent": person, "X-Purpose": "preview"}) == "prefetch"
    assert not_a_person("GET", {"User-Agent": "  "}) == "no_agent"
    assert not_a_person("GET", {}) == "no_agent"
