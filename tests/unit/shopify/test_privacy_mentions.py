"""What a customer redaction looks for in stored raw webhook bodies: the customer's phones (as given and as
E.164), the e-mail, and the customer id as Shopify's JSON writes it; nothing short enough to match by chance."""

from smsflows.domain.shopify.privacy import _mentions


def test_the_subject_is_found_by_phone_email_and_customer_id():
    payload = {"customer": {"id": 7001, "email": "ada@example.com", "phone": "512-555-0123"}}
    assert _mentions(payload, "7001", ["+15125550123"]) == sorted(
        {"ada@example.com", "512-555-0123", "+15125550123", '"id":7001', '"id": 7001', '"customer_id":7001'}
    )


def test_without_a_customer_id_only_the_phones_and_email_are_looked_for():
    payload = {"customer": {"email": "ada@example.com"}}
    assert _mentions(payload, None, ["+15125550123", "+15125550124"]) == [
        "+15125550123", "+15125550124", "ada@example.com"
    ]  # fmt: skip


def test_nothing_under_five_characters_is_looked_for():
    payload = {"customer": {"email": "a@b", "phone": "1234"}}
    assert _mentions(payload, None, []) == []
    assert _mentions({"customer": {"email": "a@b.c"}}, None, []) == ["a@b.c"]  # five is enough


def test_a_payload_without_a_customer_still_looks_for_the_known_phones():
    assert _mentions({}, None, ["+15125550123"]) == ["+15125550123"]
