"""The accounts file: what it accepts, and one clear line for everything it refuses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from amzcancel.errors import ConfigError
from amzcancel.transport import LwaCredentials, MwsCredentials
from amzcancel.workers import (
    ENV_CONFIG,
    config_path,
    format_duration,
    load_accounts,
    parse_duration,
)

GOOD = """
[[accounts]]
name = "acme-us"
marketplaces = ["ATVPDKIKX0DER"]
refresh_token_env = "ACME_US_TOKEN"

[[accounts]]
name = "acme-de"
api = "v0"
marketplaces = ["A1PA6795UKMFR9"]
region = "eu"
refresh_token_file = "acme-de.token"
interval = "90s"
"""


TWICE = 2 * '[[accounts]]\nname = "a"\nmarketplaces = ["ATVPDKIKX0DER"]\nrefresh_token_env = "T"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("1.5h", 5400), ("250ms", 0.25)],
)
def test_durations_read(text: str, seconds: float) -> None:
    """Durations are a number and a unit, possibly several."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5", "", "m", "5x", "-5m", "0s", "5m 3", "five minutes"])
def test_durations_refused(text: str) -> None:
    """A bare number (seconds or minutes?), zero or garbage is refused."""
    with pytest.raises(ConfigError):
        parse_duration(text)


def test_durations_written_back() -> None:
    """format_duration writes what parse_duration reads."""
    for seconds in (90, 300, 3600, 86400, 0.5):
        assert parse_duration(format_duration(seconds)) == seconds


def test_a_good_file_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defaults apply (api auto, 5m), a relative token file is found beside the file."""
    path = write(tmp_path, GOOD)
    token = tmp_path / "acme-de.token"
    token.write_text("Atzr|de-token\n")
    token.chmod(0o600)
    accounts = load_accounts(path)
    us, de = accounts.accounts
    assert (us.name, us.api, us.interval_seconds, us.marketplaces) == (
        "acme-us", "auto", 300.0, ("ATVPDKIKX0DER",)
    )  # fmt: skip
    assert (de.api, de.region, de.interval_seconds, de.refresh_token_file) == (
        "v0", "eu", 90.0, token
    )  # fmt: skip
    monkeypatch.setenv("LWA_APP_ID", "app")
    monkeypatch.setenv("LWA_CLIENT_SECRET", "app-secret")
    monkeypatch.setenv("ACME_US_TOKEN", "Atzr|us-token")
    creds = de.credentials()
    assert isinstance(creds, LwaCredentials)
    assert creds.refresh_token.get_secret_value() == "Atzr|de-token"
    us_creds = us.credentials()
    assert isinstance(us_creds, LwaCredentials)
    assert us_creds.refresh_token.get_secret_value() == "Atzr|us-token"
    assert "Atzr" not in repr(accounts)
    assert accounts.get("acme-de") is de
    with pytest.raises(ConfigError, match="no account 'nope'"):
        accounts.get("nope")


@pytest.mark.parametrize(
    ("table", "account", "key"),
    [
        pytest.param('name = "a"\nmarketplaces = ["ATVPDKIKX0DER"]', "'a'", "refresh_token_env",
                     id="no-credentials"),
        pytest.param('marketplaces = ["ATVPDKIKX0DER"]\nrefresh_token_env = "T"', "accounts[1]",
                     "name", id="no-name"),
        pytest.param('name = "a"\nrefresh_token_env = "T"', "'a'", "marketplaces",
                     id="no-marketplaces"),
        pytest.param('name = "a"\napi = "2025"\nmarketplaces = ["ATVPDKIKX0DER"]\n'
                     'refresh_token_env = "T"', "'a'", "api", id="bad-api"),
        pytest.param('name = "a"\nmarketplaces = ["ATVPDKIKX0DER"]\nrefresh_token_env = "T"\n'
                     'interval = "5"', "'a'", "interval", id="bare-number-interval"),
        pytest.param('name = "a"\nmarketplaces = ["ATVPDKIKX0DER"]\nrefresh_token_env = "T"\n'
                     'intervall = "5m"', "'a'", "intervall", id="typo-key"),
        pytest.param('name = "a"\nmarketplaces = ["ATVPDKIKX0DER", "A1PA6795UKMFR9"]\n'
                     'refresh_token_env = "T"', "'a'", "marketplaces", id="two-regions"),
        pytest.param('name = "a"\nmarketplaces = ["ATVPDKIKX0DER"]\nrefresh_token_env = "T"\n'
                     'region = "eu"', "'a'", "region", id="wrong-region"),
        pytest.param('name = "a"\nmarketplaces = ["ATVPDKIKX0DER"]\nrefresh_token_env = "T"\n'
                     'refresh_token_file = "f"', "'a'", "refresh_token_env", id="both-tokens"),
        pytest.param('name = "a b"\nmarketplaces = ["ATVPDKIKX0DER"]\nrefresh_token_env = "T"',
                     "'a b'", "name", id="space-in-name"),
        pytest.param('name = "a"\napi = "mws"\nmarketplaces = ["ATVPDKIKX0DER"]', "'a'",
                     "seller_id", id="mws-without-seller"),
    ],
)  # fmt: skip
def test_bad_tables_say_file_account_and_key(
    tmp_path: Path, table: str, account: str, key: str
) -> None:
    """One line naming the file, the account and the key."""
    path = write(tmp_path, f"[[accounts]]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        load_accounts(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert account in message
    assert f"key '{key}'" in message


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "no \\[\\[accounts"),
        ("[[accounts]\n", "not valid TOML"),
        ("accounts = 3\n", "no \\[\\[accounts"),
        ("[settings]\n", "unknown top-level key 'settings'"),
        (
            TWICE,
            "used twice",
        ),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, text: str, needle: str) -> None:
    """Whole-file problems name the file."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=needle) as caught:
        load_accounts(path)
    assert str(path) in str(caught.value)


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    """A path that is not there is a ConfigError, not a traceback."""
    with pytest.raises(ConfigError, match="cannot read the accounts file"):
        load_accounts(tmp_path / "nope.toml")


def test_a_token_file_others_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh token in a group- or world-readable file is refused, saying why and how."""
    path = write(tmp_path, GOOD)
    token = tmp_path / "acme-de.token"
    token.write_text("Atzr|de-token")
    token.chmod(0o644)
    monkeypatch.setenv("LWA_APP_ID", "app")
    monkeypatch.setenv("LWA_CLIENT_SECRET", "app-secret")
    de = load_accounts(path).get("acme-de")
    with pytest.raises(ConfigError, match=r"can be read by other users.*chmod 600") as caught:
        de.credentials()
    assert "Atzr|de-token" not in str(caught.value)
    assert de.missing_credentials() == [str(caught.value)]
    token.chmod(0o600)
    assert de.missing_credentials() == []


def test_missing_variables_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unset token variable (or app variable) is named with the account and the file."""
    us = load_accounts(write(tmp_path, GOOD)).get("acme-us")
    with pytest.raises(ConfigError, match="LWA_APP_ID, LWA_CLIENT_SECRET"):
        us.credentials()
    monkeypatch.setenv("LWA_APP_ID", "app")
    monkeypatch.setenv("LWA_CLIENT_SECRET", "app-secret")
    with pytest.raises(ConfigError, match="account 'acme-us': environment variable ACME_US_TOKEN"):
        us.credentials()


def test_mws_accounts_read_their_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """api = "mws" takes a seller id and the names of its key variables."""
    path = write(
        tmp_path,
        '[[accounts]]\nname = "old"\napi = "mws"\nmarketplaces = ["ATVPDKIKX0DER"]\n'
        'seller_id = "A1SELLER"\nmws_access_key_env = "OLD_KEY"\n'
        'mws_secret_key_env = "OLD_SECRET"\n',
    )
    monkeypatch.setenv("OLD_KEY", "AKIAEXAMPLE")
    monkeypatch.setenv("OLD_SECRET", "secret")
    creds = load_accounts(path).get("old").credentials()
    assert isinstance(creds, MwsCredentials)
    assert creds.seller_id == "A1SELLER"


def test_config_path_from_flag_then_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """--config wins over AMZCANCEL_CONFIG; neither is a clear error."""
    with pytest.raises(ConfigError, match="--config PATH or set AMZCANCEL_CONFIG"):
        config_path(None)
    monkeypatch.setenv(ENV_CONFIG, "from-env.toml")
    assert config_path(None) == Path("from-env.toml")
    assert config_path("given.toml") == Path("given.toml")
    assert os.environ[ENV_CONFIG] == "from-env.toml"
