"""Redaction of secrets and buyer PII for recorded fixtures."""

from __future__ import annotations

import pytest

from amzcancel.testing import Redactor, placeholder
from amzcancel.testing._redact import is_placeholder


def test_lwa_form_secrets_become_fixed_placeholders() -> None:
    """The LWA token form keeps its shape but loses refresh token, client id and secret."""
    redactor = Redactor(from_env=False)
    pairs = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "Atzr|canary-refresh"),
        ("client_id", "amzn1.application-oa2-client.canary"),
        ("client_secret", "canary-client-secret"),
    ]
    assert redactor.params(pairs) == [
        ("grant_type", "refresh_token"),
        ("refresh_token", "<REDACTED:refresh_token>"),
        ("client_id", "<REDACTED:client_id>"),
        ("client_secret", "<REDACTED:client_secret>"),
    ]


def test_mws_signing_parameters_are_redacted_in_urls() -> None:
    """AWSAccessKeyId, SellerId, MWSAuthToken and Signature never survive in a recorded URL."""
    redactor = Redactor(from_env=False)
    url = (
        "https://mws.amazonservices.com/Orders/2013-09-01?Action=ListOrders"
        "&AWSAccessKeyId=AKIACANARY&SellerId=A1SELLER&MWSAuthToken=amzn.mws.canary"
        "&Signature=c2lnbmF0dXJl%2B%3D&MarketplaceId.Id.1=ATVPDKIKX0DER"
    )
    redacted = redactor.url(url)
    for secret in ("AKIACANARY", "A1SELLER", "amzn.mws.canary", "c2lnbmF0dXJl"):
        assert secret not in redacted
    assert "Action=ListOrders" in redacted
    assert "MarketplaceId.Id.1=ATVPDKIKX0DER" in redacted


def test_access_token_header_and_response_members_are_redacted() -> None:
    """The x-amz-access-token header and an LWA response's tokens become placeholders."""
    redactor = Redactor(from_env=False)
    assert redactor.header("X-Amz-Access-Token", "Atza|live") == placeholder("x-amz-access-token")
    body = {"access_token": "Atza|live", "refresh_token": "Atzr|x", "expires_in": 3600}
    assert redactor.json(body) == {
        "access_token": "<REDACTED:access_token>",
        "refresh_token": "<REDACTED:refresh_token>",
        "expires_in": 3600,
    }


def test_known_secret_values_are_scrubbed_anywhere() -> None:
    """A secret the redactor was told about disappears even from free text."""
    redactor = Redactor(secrets=["super-secret-value"], from_env=False)
    assert "super-secret-value" not in redactor.text("error: token super-secret-value refused")
    assert redactor.json({"message": "bad super-secret-value"}) == {
        "message": "bad <REDACTED:secret>"
    }


def test_environment_credentials_are_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credential environment variables' values are secrets by default."""
    monkeypatch.setenv("MWS_SECRET_KEY", "canary-mws-secret-key")
    redactor = Redactor()
    assert redactor.scrub("x canary-mws-secret-key y") == "x <REDACTED:mws_secret_key> y"


def test_v0_buyer_pii_gets_stable_type_preserving_stand_ins() -> None:
    """The same buyer email maps to the same placeholder; numbers and flags keep their types."""
    redactor = Redactor(from_env=False)
    order = {
        "AmazonOrderId": "902-1",
        "BuyerInfo": {"BuyerEmail": "jane@buyer.example", "BuyerName": "Jane Doe"},
        "ShippingAddress": {
            "Name": "Jane Doe",
            "AddressLine1": "1 Main St",
            "Phone": "+1 206 555 1234",
            "City": "Seattle",
            "CountryCode": "US",
            "ExtendedFields": {"StreetName": "Main St", "GeoCoordinates": {"Latitude": 47.6}},
        },
        "NumberOfItemsShipped": 0,
        "IsPrime": False,
    }
    first = redactor.json(order)
    second = redactor.json({"BuyerInfo": {"BuyerEmail": "jane@buyer.example"}})
    assert first["BuyerInfo"] == {"BuyerEmail": "buyer-1@example.invalid", "BuyerName": "Buyer 1"}
    assert second["BuyerInfo"]["BuyerEmail"] == "buyer-1@example.invalid"
    address = first["ShippingAddress"]
    assert address["Name"] == "Buyer 1"
    assert address["AddressLine1"] == "1 Redacted Street"
    assert address["Phone"] == "+1-555-0101"
    assert address["City"] == "Seattle"
    assert address["ExtendedFields"]["GeoCoordinates"] == {"Latitude": 0.0}
    assert first["NumberOfItemsShipped"] == 0
    assert first["IsPrime"] is False


def test_2026_buyer_and_recipient_are_redacted() -> None:
    """Orders 2026-01-01 buyer and recipient objects lose names, emails and street lines."""
    redactor = Redactor(from_env=False)
    order = {
        "orderId": "902-2",
        "buyer": {"buyerName": "Max M", "buyerEmail": "max@buyer.example"},
        "recipient": {
            "deliveryAddress": {"name": "Max M", "addressLine1": "Hauptstr. 1", "phone": "0301"},
            "deliveryPreference": {"addressInstruction": "Leave at the back door"},
        },
        "orderItems": [{"orderItemId": "1", "product": {"title": "Name of a product"}}],
    }
    redacted = redactor.json(order)
    assert redacted["buyer"] == {"buyerName": "Buyer 1", "buyerEmail": "buyer-1@example.invalid"}
    assert redacted["recipient"]["deliveryAddress"]["addressLine1"] == "1 Redacted Street"
    assert redacted["recipient"]["deliveryPreference"]["addressInstruction"] == "redacted-1"
    assert redacted["orderItems"] == order["orderItems"]


def test_tax_identity_references_and_address_details_are_redacted() -> None:
    """Buyer VAT numbers and company legal names (2026 tax, v0 BuyerTaxInfo), purchase order
    numbers, drop-off notes, neighbourhoods and regulated information leave no trace."""
    redactor = Redactor(from_env=False)
    canaries = ["LEGAL", "VAT", "ATTR", "PO", "DROP", "HOOD", "DISTRICT", "V0VAT", "RX", "COUNTY"]
    order_2026 = {
        "buyer": {"buyerPurchaseOrderNumber": "CANARY-PO"},
        "tax": {
            "taxRegistrations": [
                {
                    "legalName": "CANARY-LEGAL",
                    "taxRegistrationNumber": "CANARY-VAT",
                    "taxRegistrationAttributes": [{"name": "vatType", "value": "CANARY-ATTR"}],
                }
            ]
        },
        "recipient": {
            "deliveryAddress": {
                "city": "Berlin",
                "extendedFields": {
                    "neighborhood": "CANARY-HOOD",
                    "districtOrCounty": "CANARY-DISTRICT",
                },
            },
            "deliveryPreference": {"dropOffLocation": "CANARY-DROP"},
        },
    }  # fmt: skip
    order_v0 = {
        "BuyerInfo": {
            "BuyerTaxInfo": {"TaxClassifications": [{"Name": "VATNumber", "Value": "CANARY-V0VAT"}]}
        },
        "ShippingAddress": {"County": "CANARY-COUNTY", "City": "Seattle"},
        "RegulatedInformation": {"Fields": [{"FieldLabel": "Patient", "FieldValue": "CANARY-RX"}]},
    }
    text = repr(redactor.json(order_2026)) + repr(redactor.json(order_v0))
    assert [c for c in canaries if f"CANARY-{c}'" in text] == []
    assert "Berlin" in text
    assert "Seattle" in text  # a city alone is not a person
    assert "VATNumber" in text  # labels stay; values go


def test_mws_tax_values_and_cdata_are_redacted() -> None:
    """An MWS VAT number, and a buyer value wrapped in CDATA, are replaced too."""
    redactor = Redactor(from_env=False)
    xml = (
        "<Order><BuyerName><![CDATA[CANARY-CDATA]]></BuyerName>"
        "<BuyerTaxInfo><TaxClassifications><TaxClassification><Name>VATNumber</Name>"
        "<Value>CANARY-MWSVAT</Value></TaxClassification></TaxClassifications></BuyerTaxInfo>"
        "</Order>"
    )
    redacted = redactor.text(xml)
    assert "CANARY" not in redacted
    assert "<Name>VATNumber</Name>" in redacted


def test_mws_xml_pii_is_replaced_in_place() -> None:
    """MWS XML keeps its layout and namespaces; only buyer values change."""
    redactor = Redactor(from_env=False)
    xml = (
        '<ListOrdersResponse xmlns="https://mws.amazonservices.com/Orders/2013-09-01">'
        "<Order><BuyerEmail>jane@buyer.example</BuyerEmail><BuyerName>Jane</BuyerName>"
        "<ShippingAddress><Name>Jane</Name><AddressLine1>1 Main St</AddressLine1>"
        "<City>Seattle</City></ShippingAddress><SellerOrderId>S-1</SellerOrderId>"
        "</Order></ListOrdersResponse>"
    )
    redacted = redactor.text(xml)
    assert "jane@buyer.example" not in redacted
    assert "1 Main St" not in redacted
    assert "<BuyerEmail>buyer-1@example.invalid</BuyerEmail>" in redacted
    assert "<Name>Buyer 1</Name>" in redacted
    assert "<City>Seattle</City>" in redacted
    assert redacted.startswith('<ListOrdersResponse xmlns="https://mws.amazonservices.com/')


def test_flat_file_report_pii_columns_are_replaced() -> None:
    """Report rows lose buyer columns and keep the order, item and cancel-flag columns."""
    redactor = Redactor(from_env=False)
    report = (
        "order-id\torder-item-id\tbuyer-email\tship-address-1\tis-buyer-requested-cancellation\n"
        "902-1\t111\tjane@buyer.example\t1 Main St\ttrue\n"
    )
    lines = redactor.text(report).splitlines()
    assert lines[1].split("\t") == [
        "902-1",
        "111",
        "buyer-1@example.invalid",
        "1 Redacted Street",
        "true",
    ]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("<REDACTED:refresh_token>", id="secret"),
        pytest.param("buyer-12@example.invalid", id="email"),
        pytest.param("3 Redacted Street", id="street"),
    ],
)
def test_redaction_is_idempotent(value: str) -> None:
    """A placeholder redacts to itself, so echoed values still match on replay."""
    redactor = Redactor(from_env=False)
    assert is_placeholder(value)
    assert redactor.json({"BuyerEmail": value, "AddressLine1": value}) == {
        "BuyerEmail": value,
        "AddressLine1": value,
    }
    assert redactor.params([("refresh_token", value)]) == [("refresh_token", value)]


def test_presigned_urls_in_json_lose_signatures() -> None:
    """A report document's presigned URL keeps its path but not its signing parameters."""
    redactor = Redactor(from_env=False)
    doc = {"url": "https://s3.example/doc?X-Amz-Signature=abc123&X-Amz-Expires=300"}
    redacted = redactor.json(doc)["url"]
    assert "abc123" not in redacted
    assert "X-Amz-Expires=300" in redacted
