"""Where the commands run: a flag, else an environment variable, else a profile of the config file
($XDG_CONFIG_HOME/smsflows/config.toml), so the target need not be repeated on every command."""

from __future__ import annotations

import json
import os

import pytest

from tests.unit.cli.conftest import SHOP, run

CLOSED_A, CLOSED_B, CLOSED_C = "http://127.0.0.1:9", "http://127.0.0.1:1", "http://127.0.0.1:7"


def write_config(text: str) -> None:
    path = os.path.join(os.environ["XDG_CONFIG_HOME"], "smsflows", "config.toml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def refused_at(ran) -> str:
    [line] = ran.err_lines
    assert ran.code == 1 and line.endswith("connection refused"), ran
    return line.removeprefix("smsflows: no local cloud answers at ").removesuffix(": connection refused")


def test_a_flag_beats_the_environment_which_beats_the_profile(monkeypatch):
    write_config(f'[profiles.default]\nlocal_url = "{CLOSED_C}"\n')
    assert refused_at(run("shop", "show")) == CLOSED_C  # [profiles.default] when nothing else names one
    monkeypatch.setenv("SMSFLOWS_LOCAL_URL", CLOSED_B)
    assert refused_at(run("shop", "show")) == CLOSED_B
    assert refused_at(run("shop", "show", "--local", CLOSED_A)) == CLOSED_A


def test_profiles_are_chosen_by_flag_or_environment(monkeypatch):
    write_config(f'[profiles.a]\nlocal_url = "{CLOSED_A}"\n\n[profiles.b]\nlocal_url = "{CLOSED_B}"\n')
    assert run("shop", "show").code == 2  # no default profile, nothing else: no target
    assert refused_at(run("shop", "show", "--profile", "a")) == CLOSED_A
    monkeypatch.setenv("SMSFLOWS_PROFILE", "b")
    assert refused_at(run("shop", "show")) == CLOSED_B
    assert refused_at(run("shop", "show", "--profile", "a")) == CLOSED_A


def test_a_stage_profile_names_the_table_queues_and_shop(stage, monkeypatch):
    env = {key: os.environ.pop(key) for key in ("TABLE_NAME", "SHOP_EVENTS_QUEUE_URL", "SEND_QUEUE_URL",
                                                 "TRANSACTIONAL_QUEUE_URL", "DEFAULT_SHOP")}  # fmt: skip
    write_config(
        "[profiles.prod]\n"
        f'table_name = "{env["TABLE_NAME"]}"\nshop_events_queue_url = "{env["SHOP_EVENTS_QUEUE_URL"]}"\n'
        f'send_queue_url = "{env["SEND_QUEUE_URL"]}"\ntransactional_queue_url = "{env["TRANSACTIONAL_QUEUE_URL"]}"\n'
        f'region = "us-east-1"\nshop = "{SHOP}"\n'
    )
    shown = run("shop", "show", "--profile", "prod", "--json")
    assert shown.code == 0, shown
    assert json.loads(shown.out)["shop"] == SHOP
    assert json.loads(run("dlq", "list", "--profile", "prod", "--json").out) == []


def test_the_environment_overriding_a_chosen_profile_says_so(stage, monkeypatch):
    write_config(f'[profiles.prod]\ntable_name = "other-table"\nshop = "{SHOP}"\n')
    ran = run("shop", "show", "--profile", "prod", "--json")
    assert ran.code == 0, ran
    assert ran.err_lines == ["smsflows: TABLE_NAME from the environment overrides table_name of profile prod"]


@pytest.mark.parametrize(
    "config, argv, says",
    [
        (
            "[profiles.a]\nlocal_urls = 'http://x'\n",
            ["--profile", "a"],
            ["has no setting 'local_urls'", "local_url"],
        ),
        ("[profiles.a]\nlocal_url = 8787\n", ["--profile", "a"], ["local_url must be a non-empty string"]),
        ("[profiles.a\n", ["--profile", "a"], ["not a TOML file"]),
        (
            "[profiles.a]\nlocal_url = 'localhost:8787'\n",
            ["--profile", "a"],
            ["profile a local_url", "http(s)://"],
        ),
        (
            "[profiles.a]\nlocal_url = 'http://x'\ntable_name = 't'\n",
            ["--profile", "a"],
            ["both local_url and table_name"],
        ),
        ("", ["--profile", "nope"], ["--profile", "no profile 'nope'"]),
    ],
)
def test_a_bad_profile_is_a_usage_error_naming_the_setting(config, argv, says):
    write_config(config)
    ran = run("shop", "show", *argv)
    assert ran.code == 2, ran
    [line] = ran.err_lines
    assert all(part in line for part in says), line


def test_a_missing_config_file_is_named_when_a_profile_is_asked_for():
    ran = run("shop", "show", "--profile", "prod")
    assert ran.code == 2 and "config.toml does not exist" in ran.err


def test_both_a_local_url_and_a_table_in_the_environment_is_refused(monkeypatch):
    monkeypatch.setenv("SMSFLOWS_LOCAL_URL", CLOSED_A)
    monkeypatch.setenv("TABLE_NAME", "t")
    ran = run("shop", "show")
    assert ran.code == 2 and "SMSFLOWS_LOCAL_URL and TABLE_NAME are both set" in ran.err


def test_the_shop_comes_from_the_flag_the_environment_or_the_profile(stage, monkeypatch):
    assert run("shop", "show", "--json").code == 0  # the deployment's DEFAULT_SHOP
    monkeypatch.delenv("DEFAULT_SHOP")
    ran = run("shop", "show")
    assert ran.code == 2 and "--shop: no shop named" in ran.err and "SMSFLOWS_SHOP" in ran.err
    monkeypatch.setenv("SMSFLOWS_SHOP", SHOP)
    assert json.loads(run("consent", "show", "--phone", "+15125550123", "--json").out)["shop"] == SHOP
    monkeypatch.delenv("SMSFLOWS_SHOP")
    write_config(f'[profiles.default]\nshop = "{SHOP}"\n')
    assert json.loads(run("shop", "show", "--json").out)["shop"] == SHOP
