"""Where Amazon's APIs live: SP-API regions and sandboxes, MWS hosts, marketplace ids.

Sources: SP-API developer guide "SP-API endpoints" and the MWS developer guide's endpoint table
(shared/reference/amazon-facts.md sections 1.8 and 4.1).

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from amzcancel.errors import ConfigError

__all__ = [
    "MARKETPLACE_REGIONS",
    "MWS_ENDPOINTS",
    "SPAPI_ENDPOINTS",
    "SPAPI_SANDBOX_ENDPOINTS",
    "Region",
    "mws_endpoint",
    "normalize_endpoint",
    "region_for_marketplace",
    "region_for_marketplaces",
    "spapi_endpoint",
]


class Region(StrEnum):
    """An SP-API region.

    Added in 0.1.0.
    """

    NA = "na"
    EU = "eu"
    FE = "fe"


SPAPI_ENDPOINTS: dict[Region, str] = {
    Region.NA: "https://sellingpartnerapi-na.amazon.com",
    Region.EU: "https://sellingpartnerapi-eu.amazon.com",
    Region.FE: "https://sellingpartnerapi-fe.amazon.com",
}

SPAPI_SANDBOX_ENDPOINTS: dict[Region, str] = {
    Region.NA: "https://sandbox.sellingpartnerapi-na.amazon.com",
    Region.EU: "https://sandbox.sellingpartnerapi-eu.amazon.com",
    Region.FE: "https://sandbox.sellingpartnerapi-fe.amazon.com",
}

# Marketplace id -> (SP-API region, MWS endpoint). MWS had hosts per country group.
_MARKETPLACES: dict[str, tuple[Region, str]] = {
    "ATVPDKIKX0DER": (Region.NA, "https://mws.amazonservices.com"),  # US
    "A2Q3Y263D00KWC": (Region.NA, "https://mws.amazonservices.com"),  # BR
    "A2EUQ1WTGCTBG2": (Region.NA, "https://mws.amazonservices.ca"),  # CA
    "A1AM78C64UM0Y8": (Region.NA, "https://mws.amazonservices.com.mx"),  # MX
    "A1PA6795UKMFR9": (Region.EU, "https://mws-eu.amazonservices.com"),  # DE
    "A1RKKUPIHCS9HS": (Region.EU, "https://mws-eu.amazonservices.com"),  # ES
    "A13V1IB3VIYZZH": (Region.EU, "https://mws-eu.amazonservices.com"),  # FR
    "A1F83G8C2ARO7P": (Region.EU, "https://mws-eu.amazonservices.com"),  # GB
    "APJ6JRA9NG5V4": (Region.EU, "https://mws-eu.amazonservices.com"),  # IT
    "A1805IZSGTT6HS": (Region.EU, "https://mws-eu.amazonservices.com"),  # NL
    "A1C3SOZRARQ6R3": (Region.EU, "https://mws-eu.amazonservices.com"),  # PL
    "A2NODRKZP88ZB9": (Region.EU, "https://mws-eu.amazonservices.com"),  # SE
    "A33AVAJ2PDY3EV": (Region.EU, "https://mws-eu.amazonservices.com"),  # TR
    "A17E79C6D8DWNP": (Region.EU, "https://mws-eu.amazonservices.com"),  # SA
    "ARBP9OOSHTCHU": (Region.EU, "https://mws-eu.amazonservices.com"),  # EG
    "AMEN7PMS3EDWL": (Region.EU, "https://mws-eu.amazonservices.com"),  # BE
    "A28R8C7NBKEWEA": (Region.EU, "https://mws-eu.amazonservices.com"),  # IE (SP-API era)
    "AE08WJ6YKNBMC": (Region.EU, "https://mws-eu.amazonservices.com"),  # ZA (SP-API era)
    "A2VIGQ35RCS4UG": (Region.EU, "https://mws.amazonservices.ae"),  # AE
    "A21TJRUUN4KGV": (Region.EU, "https://mws.amazonservices.in"),  # IN
    "A1VC38T7YXB528": (Region.FE, "https://mws.amazonservices.jp"),  # JP
    "A39IBJ37TRP1C6": (Region.FE, "https://mws.amazonservices.com.au"),  # AU
    "A19VAU5U5O7RUS": (Region.FE, "https://mws-fe.amazonservices.com"),  # SG
}

MARKETPLACE_REGIONS: dict[str, Region] = {mp: region for mp, (region, _) in _MARKETPLACES.items()}
"""Marketplace id -> SP-API region."""

MWS_ENDPOINTS: dict[Region, str] = {
    Region.NA: "https://mws.amazonservices.com",
    Region.EU: "https://mws-eu.amazonservices.com",
    Region.FE: "https://mws-fe.amazonservices.com",
}
"""The default MWS host of each region (country-specific hosts via :func:`mws_endpoint`)."""


def _region(region: Region | str) -> Region:
    try:
        return Region(str(region).lower())
    except ValueError:
        raise ConfigError(f"unknown region {region!r}; expected one of na, eu, fe") from None


def region_for_marketplace(marketplace_id: str) -> Region:
    """The SP-API region that serves a marketplace.

    Raises:
        ConfigError: the marketplace id is not one we know.

    Added in 0.1.0.
    """
    try:
        return MARKETPLACE_REGIONS[marketplace_id]
    except KeyError:
        raise ConfigError(f"unknown marketplace id {marketplace_id!r}") from None


def region_for_marketplaces(
    marketplace_ids: Sequence[str], region: Region | str | None = None
) -> Region:
    """The one region that serves every marketplace given (``region`` when it is given).

    SP-API and MWS serve each region from its own host, so one client reads one region.

    Raises:
        ConfigError: an unknown marketplace id (pass ``region`` or an endpoint for a marketplace
            newer than this table), marketplaces of different regions, or a ``region`` that
            does not serve them.

    Added in 0.1.0.
    """
    chosen = None if region is None else _region(region)
    known = {mp: MARKETPLACE_REGIONS.get(mp) for mp in marketplace_ids}
    unknown = [mp for mp, found in known.items() if found is None]
    if unknown and chosen is None:
        raise ConfigError(
            f"unknown marketplace id {unknown[0]!r}: pass its region (na, eu or fe) or an endpoint"
        )
    regions = {found for found in known.values() if found is not None}
    if chosen is not None:
        wrong = sorted(mp for mp, found in known.items() if found not in (None, chosen))
        if wrong:
            raise ConfigError(
                f"marketplace {wrong[0]} is served by region {known[wrong[0]]}, not {chosen}"
            )
        return chosen
    if len(regions) > 1:
        by_region = ", ".join(
            f"{r}: {' '.join(mp for mp, found in known.items() if found is r)}"
            for r in sorted(regions)
        )
        raise ConfigError(
            f"these marketplaces are served by different regions ({by_region}); "
            "sync each region separately"
        )
    return regions.pop() if regions else Region.NA


def normalize_endpoint(endpoint: str) -> str:
    """Check an endpoint override and drop a trailing slash.

    Raises:
        ConfigError: not an http(s) URL with a host.

    Added in 0.1.0.
    """
    text = endpoint.strip().rstrip("/")
    scheme, _, rest = text.partition("://")
    if scheme.lower() not in ("http", "https") or not rest or rest.startswith("/"):
        raise ConfigError(f"endpoint must be an http(s) URL with a host, got {endpoint!r}")
    return text


def spapi_endpoint(region: Region | str = Region.NA, *, sandbox: bool = False) -> str:
    """The SP-API base URL of a region, or of its static sandbox.

    Added in 0.1.0.
    """
    table = SPAPI_SANDBOX_ENDPOINTS if sandbox else SPAPI_ENDPOINTS
    return table[_region(region)]


def mws_endpoint(region: Region | str = Region.NA, *, marketplace_id: str | None = None) -> str:
    """The MWS host for a marketplace (preferred) or a region.

    Added in 0.1.0.
    """
    if marketplace_id is not None:
        if marketplace_id not in _MARKETPLACES:
            raise ConfigError(f"unknown marketplace id {marketplace_id!r}")
        return _MARKETPLACES[marketplace_id][1]
    return MWS_ENDPOINTS[_region(region)]
