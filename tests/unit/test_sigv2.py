"""AWS Signature Version 2 (HmacSHA256) against Amazon's published example."""

from __future__ import annotations

import httpx

from amzcancel.clock import FakeClock
from amzcancel.transport._calls import RequestSpec
from amzcancel.transport._credentials import MwsCredentials
from amzcancel.transport._sigv2 import canonical_query, sign_v2, string_to_sign
from amzcancel.transport._wire_protocols import MwsProtocol

# The worked example of the AWS General Reference, "Signature Version 2 signing process"
# (https://docs.aws.amazon.com/general/latest/gr/signature-version-2.html): a DescribeJobFlows
# request to elasticmapreduce.amazonaws.com signed with AWS's documentation example key.
_PUBLISHED_PARAMS = {
    "AWSAccessKeyId": "AKIAIOSFODNN7EXAMPLE",
    "Action": "DescribeJobFlows",
    "SignatureMethod": "HmacSHA256",
    "SignatureVersion": "2",
    "Timestamp": "2011-10-03T15:19:30",
    "Version": "2009-03-31",
}
_PUBLISHED_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
_PUBLISHED_SIGNATURE = "i91nKc4PWAt0JJIdXwz9HxZCJDdiy6cf/Mj6vPxyYIs="


def test_published_string_to_sign() -> None:
    """The string to sign matches the published example byte for byte."""
    expected = (
        "GET\nelasticmapreduce.amazonaws.com\n/\n"
        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Action=DescribeJobFlows&SignatureMethod=HmacSHA256"
        "&SignatureVersion=2&Timestamp=2011-10-03T15%3A19%3A30&Version=2009-03-31"
    )
    assert string_to_sign("GET", "elasticmapreduce.amazonaws.com", "/", _PUBLISHED_PARAMS) == (
        expected
    )


def test_published_signature() -> None:
    """The signature equals the one AWS publishes for its example request."""
    signature = sign_v2(
        _PUBLISHED_SECRET, "GET", "elasticmapreduce.amazonaws.com", "/", _PUBLISHED_PARAMS
    )
    assert signature == _PUBLISHED_SIGNATURE


def test_canonical_query_encodes_rfc3986() -> None:
    """Spaces become %20 (never +), reserved characters are uppercase hex, names sort by bytes."""
    query = canonical_query({"b": "x y", "A": "a/b+c~", "a": "é"})
    assert query == "A=a%2Fb%2Bc~&a=%C3%A9&b=x%20y"


def test_client_request_signature_verifies() -> None:
    """An MWS request built by the client carries a signature the server side can recompute."""
    creds = MwsCredentials("AKIDEXAMPLE", "s3cr3t-key", "A1SELLER", auth_token="amzn.mws.tok")
    protocol = MwsProtocol("https://mws.amazonservices.com", creds, FakeClock())
    spec = RequestSpec("POST", "/Orders/2013-09-01", "ListOrders", form={"Action": "ListOrders"})
    request = protocol.build(spec, None)
    params = dict(httpx.QueryParams(request.content.decode()))
    assert params["SignatureMethod"] == "HmacSHA256"
    assert params["SignatureVersion"] == "2"
    assert params["Timestamp"] == "2026-11-26T12:00:00Z"
    assert params["MWSAuthToken"] == "amzn.mws.tok"
    recomputed = sign_v2("s3cr3t-key", "POST", request.url.host, "/Orders/2013-09-01", params)
    assert params["Signature"] == recomputed
