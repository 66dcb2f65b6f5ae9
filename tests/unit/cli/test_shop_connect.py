"""`smsflows shop connect`: a shop's Admin API token read from stdin into its own secret (created, then
replaced), never echoed; a bad token or shop changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.unit.cli.conftest import client, run

SHOP = "new-shop.myshopify.com"
TOKEN = "shpat_0123456789abcdef0123456789abcdef"


def stored(stage) -> dict[str, str]:
    name = f"{stage.env['SHOPIFY_ADMIN_TOKEN_PREFIX']}/{SHOP}"
    return json.loads(client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])


def test_the_token_from_stdin_is_stored_then_replaced_and_never_printed(stage):
    first = run("shop", "connect", "--shop", SHOP, "--json", input=TOKEN + "\n")
    assert first.code == 0, first.err
    said = json.loads(first.out)
    assert said == {
        "shop": SHOP,
        "secret_name": f"{stage.env['SHOPIFY_ADMIN_TOKEN_PREFIX']}/{SHOP}",
        "created": True,
    }
    assert stored(stage) == {"access_token": TOKEN}
    again = run("shop", "connect", "--shop", SHOP, "--json", input="shpat_ffffffffffffffffffffffffffffffff\n")
    assert json.loads(again.out)["created"] is False
    assert stored(stage) == {"access_token": "shpat_ffffffffffffffffffffffffffffffff"}
    for ran in (first, again):
        assert "shpat_" not in ran.out + ran.err


@pytest.mark.parametrize(
    ("args", "token", "says"),
    [
        (("--shop", SHOP), "short\n", "not the offline access token"),
        (("--shop", SHOP), "shpat_with a space inside it\n", "not the offline access token"),
        (("--shop", "not a shop"), TOKEN + "\n", "--shop"),
    ],
)
def test_a_bad_token_or_shop_is_refused_and_nothing_is_stored(stage, args, token, says):
    ran = run("shop", "connect", *args, input=token)
    assert ran.code == 2 and says in ran.err
    assert TOKEN not in ran.err
    names = [s["Name"] for s in client("secretsmanager").list_secrets()["SecretList"]]
    assert not any(n.endswith(SHOP) for n in names)
