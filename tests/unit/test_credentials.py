"""Credentials from arguments and the environment, endpoints and regions."""

from __future__ import annotations

import os
from typing import Any

import pytest

from amzcancel.errors import ConfigError
from amzcancel.transport import (
    LWA_ENV_VARS,
    MWS_ENV_VARS,
    LwaCredentials,
    MwsClient,
    MwsCredentials,
    Region,
    SpApiClient,
    mws_endpoint,
    region_for_marketplace,
    region_for_marketplaces,
    spapi_endpoint,
)

CANARY = "CANARY-SECRET-7f3a9"


def test_lwa_credentials_from_env() -> None:
    """LWA_APP_ID, LWA_CLIENT_SECRET and SP_API_REFRESH_TOKEN are read from the environment."""
    os.environ.update(
        {"LWA_APP_ID": "app", "LWA_CLIENT_SECRET": CANARY, "SP_API_REFRESH_TOKEN": "Atzr|r"}
    )
    creds = LwaCredentials.from_env()
    assert creds.client_id == "app"
    assert creds.client_secret.get_secret_value() == CANARY
    assert creds.refresh_token.get_secret_value() == "Atzr|r"


def test_missing_env_names_the_variables() -> None:
    """A client without credentials says which variables to set, in one sentence."""
    os.environ["LWA_APP_ID"] = "app"
    with pytest.raises(ConfigError) as info:
        SpApiClient()
    message = str(info.value)
    assert "LWA_CLIENT_SECRET" in message
    assert "SP_API_REFRESH_TOKEN" in message
    assert "LWA_APP_ID" not in message


def test_mws_credentials_from_env_with_auth_token() -> None:
    """MWS keys come from MWS_ACCESS_KEY, MWS_SECRET_KEY, MWS_SELLER_ID and MWS_AUTH_TOKEN."""
    os.environ.update(
        {
            "MWS_ACCESS_KEY": "AKID",
            "MWS_SECRET_KEY": CANARY,
            "MWS_SELLER_ID": "A1SELLER",
            "MWS_AUTH_TOKEN": "amzn.mws.x",
        }
    )
    creds = MwsCredentials.from_env()
    assert creds.seller_id == "A1SELLER"
    assert creds.auth_token is not None
    assert creds.auth_token.get_secret_value() == "amzn.mws.x"
    with pytest.raises(ConfigError, match="MWS_SELLER_ID"):
        MwsCredentials.from_env({"MWS_ACCESS_KEY": "a", "MWS_SECRET_KEY": "b"})


def test_reprs_hide_secrets() -> None:
    """Printing credentials, auth or clients never shows a secret."""
    lwa = LwaCredentials("app", CANARY, CANARY + "-refresh")
    mws = MwsCredentials("AKID", CANARY, "A1", auth_token=CANARY)
    client = SpApiClient(credentials=lwa)
    texts = [repr(lwa), str(lwa), repr(mws), repr(client), repr(client.auth)]
    client.close()
    assert all(CANARY not in text for text in texts)
    assert "'app'" in repr(lwa)


def test_empty_secret_is_a_config_error_without_the_value() -> None:
    """An empty secret is refused with ConfigError naming the field only."""
    with pytest.raises(ConfigError, match="client_secret"):
        LwaCredentials("app", "  ", "Atzr|x")


def test_blank_env_values_are_named_missing_and_never_echoed() -> None:
    """Whitespace-only variables count as unset: the error names them and shows no value."""
    env = {"LWA_APP_ID": "app", "LWA_CLIENT_SECRET": CANARY, "SP_API_REFRESH_TOKEN": " \t"}
    with pytest.raises(ConfigError) as info:
        LwaCredentials.from_env(env)
    assert "SP_API_REFRESH_TOKEN" in str(info.value)
    assert CANARY not in str(info.value) + repr(info.value)
    mws_env = {"MWS_ACCESS_KEY": "AKID", "MWS_SECRET_KEY": CANARY, "MWS_SELLER_ID": " "}
    with pytest.raises(ConfigError) as info:
        MwsCredentials.from_env(mws_env)
    assert "MWS_SELLER_ID" in str(info.value)
    assert CANARY not in str(info.value) + repr(info.value)


def test_blank_mws_auth_token_is_unset() -> None:
    """A blank MWS_AUTH_TOKEN means no token, as an unset one does (not an auth_token error)."""
    env = {"MWS_ACCESS_KEY": "AKID", "MWS_SECRET_KEY": CANARY, "MWS_SELLER_ID": "A1"}
    assert MwsCredentials.from_env({**env, "MWS_AUTH_TOKEN": "  "}).auth_token is None


@pytest.mark.parametrize(
    ("region", "sandbox", "url"),
    [
        pytest.param("na", False, "https://sellingpartnerapi-na.amazon.com", id="na"),
        pytest.param("EU", False, "https://sellingpartnerapi-eu.amazon.com", id="eu"),
        pytest.param(Region.FE, True, "https://sandbox.sellingpartnerapi-fe.amazon.com", id="fe"),
    ],
)
def test_spapi_endpoints(region: str, sandbox: bool, url: str) -> None:
    """Each region and its sandbox has its documented host."""
    assert spapi_endpoint(region, sandbox=sandbox) == url


def test_unknown_region_is_a_config_error() -> None:
    """An unknown region is refused at construction."""
    with pytest.raises(ConfigError, match="region"):
        SpApiClient(credentials=LwaCredentials("a", "b", "c"), region="mars")


def test_marketplace_tables() -> None:
    """Marketplace ids map to their SP-API region and MWS host."""
    assert region_for_marketplace("A1PA6795UKMFR9") is Region.EU
    assert region_for_marketplace("A1VC38T7YXB528") is Region.FE
    assert mws_endpoint(marketplace_id="A1VC38T7YXB528") == "https://mws.amazonservices.jp"
    assert mws_endpoint("eu") == "https://mws-eu.amazonservices.com"
    with pytest.raises(ConfigError):
        region_for_marketplace("NOPE")


def test_one_region_serves_a_set_of_marketplaces() -> None:
    """Germany and France are EU; a mix of regions, or an unknown id without a region, fails."""
    assert region_for_marketplaces(["A1PA6795UKMFR9", "A13V1IB3VIYZZH"]) is Region.EU
    assert region_for_marketplaces(["ATVPDKIKX0DER"]) is Region.NA
    assert region_for_marketplaces([]) is Region.NA
    assert region_for_marketplaces(["A1PA6795UKMFR9"], "EU") is Region.EU
    # A marketplace newer than our table works once its region is named.
    assert region_for_marketplaces(["A9NEWMARKET9"], "fe") is Region.FE
    with pytest.raises(ConfigError, match=r"different regions.*eu: A1PA6795UKMFR9"):
        region_for_marketplaces(["ATVPDKIKX0DER", "A1PA6795UKMFR9"])
    with pytest.raises(ConfigError, match=r"unknown marketplace id .A9NEWMARKET9.*region"):
        region_for_marketplaces(["A9NEWMARKET9"])
    with pytest.raises(ConfigError, match="A1PA6795UKMFR9 is served by region eu, not na"):
        region_for_marketplaces(["A1PA6795UKMFR9"], "na")


def test_endpoint_overrides() -> None:
    """Endpoint and LWA URL overrides are used as given (trailing slash dropped)."""
    creds = LwaCredentials("a", "b", "c")
    client = SpApiClient(
        credentials=creds,
        endpoint="http://127.0.0.1:8080/",
        lwa_endpoint="http://127.0.0.1:8080/auth/o2/token",
    )
    assert client.endpoint == "http://127.0.0.1:8080"
    assert client.auth.token_url == "http://127.0.0.1:8080/auth/o2/token"
    client.close()
    with pytest.raises(ConfigError):
        SpApiClient(credentials=creds, endpoint="ftp://x")
    mws = MwsClient(credentials=MwsCredentials("a", "b", "c"), marketplace_id="A1F83G8C2ARO7P")
    assert mws.endpoint == "https://mws-eu.amazonservices.com"
    mws.close()


@pytest.mark.parametrize("timeout", [pytest.param(0, id="zero"), pytest.param(None, id="none")])
def test_timeout_must_be_finite(timeout: float | None) -> None:
    """No client can be built without a finite timeout."""
    with pytest.raises(ConfigError, match="timeout"):
        SpApiClient(credentials=LwaCredentials("a", "b", "c"), timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("read", "names"),
    [
        pytest.param(LwaCredentials.from_env, LWA_ENV_VARS, id="lwa"),
        pytest.param(MwsCredentials.from_env, MWS_ENV_VARS, id="mws"),
    ],
)
def test_from_env_names_every_missing_variable_in_one_error(read: Any, names: Any) -> None:
    """Nothing set: one ConfigError naming all of them, as the library (no command to run)."""
    with pytest.raises(ConfigError) as info:
        read({})
    message = str(info.value)
    assert message.startswith(f"missing environment variable(s) {', '.join(names)} ")
    assert "amzcancel" not in message
    assert "--" not in message
