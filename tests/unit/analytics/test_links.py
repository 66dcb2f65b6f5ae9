"""Short links (issue 16 part 1): every URL of a text becomes the recipient's own code on the shop's domain,
the same code on every attempt at the same message, the same length for everyone (segments), and the
redirect carries UTM tags without overriding the merchant's own."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsflows.domain.analytics import counters, links
from smsflows.domain.sending.encoding import segment_info

KEY = "k" * 32
BASE = "https://sms.demo-shop.example/l/"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def code_of(message_id: str):
    return lambda i: links.code_for(KEY, message_id, i)


def test_each_url_becomes_a_code_on_the_shops_domain_and_prose_punctuation_stays_outside():
    text = "Demo Shop: sale (https://demo-shop.example/sale?x=1). Also https://demo-shop.example/new, today!"
    body, found = links.shorten(text, BASE, code_of("m-1"))
    assert [s.url for s in found] == ["https://demo-shop.example/sale?x=1", "https://demo-shop.example/new"]
    assert body == f"Demo Shop: sale ({BASE}{found[0].code}). Also {BASE}{found[1].code}, today!"
    assert found[0].code != found[1].code


def test_codes_are_stable_per_message_and_place_and_differ_across_recipients_and_keys():
    a = links.code_for(KEY, "cmp:spring:once:aaa", 0)
    assert a == links.code_for(KEY, "cmp:spring:once:aaa", 0)  # a retried send writes the same body
    assert a != links.code_for(KEY, "cmp:spring:once:bbb", 0)  # another recipient
    assert a != links.code_for(KEY, "cmp:spring:once:aaa", 1)  # another URL of the same text
    assert a != links.code_for("another shop's key", "cmp:spring:once:aaa", 0)
    assert links.CODE_FORM.fullmatch(a) and len(a) == links.CODE_LENGTH


def test_codes_spread_over_the_whole_alphabet():
    codes = {links.code_for(KEY, f"m-{i}", 0) for i in range(3000)}
    assert len(codes) == 3000
    assert set("".join(codes)) == set(links.ALPHABET)


def test_a_url_already_on_the_link_domain_is_left_alone_and_a_text_without_urls_is_unchanged():
    text = f"Demo Shop: {BASE}Ab3dE6gH9k"
    assert links.shorten(text, BASE, code_of("m"))[0] == text
    assert links.shorten("Demo Shop: no links here.", BASE, code_of("m")) == ("Demo Shop: no links here.", [])
    assert links.preview("Demo Shop: https://x.example/a", None) == "Demo Shop: https://x.example/a"


@given(st.text(alphabet=st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=200))
def test_the_preview_counts_the_same_segments_as_any_recipients_text(prose):
    text = f"Demo Shop: {prose} https://demo-shop.example/p?id=1 Reply STOP to opt out"
    preview = links.preview(text, BASE)
    sent, _ = links.shorten(text, BASE, code_of("some-recipient"))
    assert len(preview) == len(sent)
    assert segment_info(preview).segments == segment_info(sent).segments


def test_the_redirect_carries_utm_tags_and_keeps_the_merchants_own():
    tagged = links.with_utm(
        "https://demo-shop.example/p?id=9&utm_source=newsletter#top", "spring", "A", "campaign"
    )
    parts = urlsplit(tagged)
    assert parts.fragment == "top"
    assert parse_qs(parts.query) == {"id": ["9"], "utm_source": ["newsletter"], "utm_medium": ["campaign"],
                                     "utm_campaign": ["spring"], "utm_content": ["A"]}  # fmt: skip


def test_scopes_name_the_flow_step_or_campaign_variant_for_utm():
    assert counters.utm_for(counters.flow_scope("welcome", 2)) == {"medium": "flow", "campaign": "welcome",
                                                                   "content": "step-2"}  # fmt: skip
    assert counters.utm_for(counters.campaign_scope("spring", "B")) == {"medium": "campaign", "campaign": "spring",
                                                                        "content": "B"}  # fmt: skip
    made = links.links_for(links.shorten("x https://a.example/", BASE, code_of("m"))[1], shop="s", phone="+15125550123",
                           message_id="m", scope="flow#welcome#0", utm=counters.utm_for("flow#welcome#0"), now=NOW,
                           expiry_days=90)  # fmt: skip
    assert made[0].expires_at == datetime(2027, 2, 21, 17, 0, tzinfo=UTC)
    assert not made[0].expired(datetime(2027, 2, 21, 16, 59, tzinfo=UTC)) and made[0].expired(
        made[0].expires_at
    )
    assert "utm_content=step-0" in made[0].target


@pytest.mark.parametrize("good", ["sms.example.com", "SMS.Example.COM.", " links.demo-shop.co.uk "])
def test_a_link_domain_is_a_host_name(good):
    assert links.link_domain(good) == good.strip().lower().rstrip(".")


@pytest.mark.parametrize("bad", ["https://sms.example.com", "sms.example.com/l", "sms.example.com:8443", "localhost",
                                 "-sms.example.com", "sms_example.com", "", "sms..example.com"])  # fmt: skip
def test_anything_else_is_refused_naming_the_form(bad):
    with pytest.raises(ValueError, match=r"link_domain: .* is not a host name; use a host name such as"):
        links.link_domain(bad)


def test_the_base_is_the_shops_domain_else_the_apis_path():
    assert links.base_url("sms.example.com", "https://api.example/prod") == "https://sms.example.com/l/"
    assert links.base_url(None, "https://api.example/prod/") == "https://api.example/prod/l/"
    assert links.base_url(None, None) is None


def test_the_code_is_base62_of_the_first_16_bytes_of_the_hmac():
    import hashlib
    import hmac

    number = int.from_bytes(hmac.new(KEY.encode(), b"m-1\x1f0", hashlib.sha256).digest()[:16], "big")
    digits = []
    for _ in range(links.CODE_LENGTH):
        number, digit = divmod(number, 62)
        digits.append(links.ALPHABET[digit])
    assert links.code_for(KEY, "m-1", 0) == "".join(digits)


def test_blank_query_values_survive_the_utm_tags():
    tagged = links.with_utm("https://demo-shop.example/p?ref=&id=9", "spring", "A", "campaign")
    assert urlsplit(tagged).query.startswith("ref=&id=9&utm_source=sms")


def test_a_link_holds_everything_the_redirect_and_the_click_need():
    [made] = links.links_for(links.shorten("x https://a.example/", BASE, code_of("m"))[1], shop="demo-shop.myshopify.com",
                             phone="+15125550123", message_id="m", scope="campaign#bf#A",
                             utm=counters.utm_for("campaign#bf#A"), now=NOW, expiry_days=30)  # fmt: skip
    assert (made.shop, made.phone, made.message_id, made.scope, made.created_at) == (
        "demo-shop.myshopify.com",
        "+15125550123",
        "m",
        "campaign#bf#A",
        NOW,
    )
    assert parse_qs(urlsplit(made.target).query) == {"utm_source": ["sms"], "utm_medium": ["campaign"],
                                                     "utm_campaign": ["bf"], "utm_content": ["A"]}  # fmt: skip


def test_a_scheme_alone_is_no_url_and_a_short_link_already_there_leaves_the_next_url_to_shorten():
    assert links.find_urls("https://. and then") == [] and links.find_urls("see https://, now") == []
    text = f"Demo Shop: {BASE}Ab3dE6gH9k then https://demo-shop.example/b and https://demo-shop.example/c"
    body, found = links.shorten(text, BASE, code_of("m"))
    assert [s.url for s in found] == ["https://demo-shop.example/b", "https://demo-shop.example/c"]
    assert [s.index for s in found] == [1, 2] and body.startswith(f"Demo Shop: {BASE}Ab3dE6gH9k then {BASE}")
