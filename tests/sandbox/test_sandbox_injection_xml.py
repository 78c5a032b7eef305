"""The injection endpoint in XML (hand-written documents, no client code) and its refused test domain."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import httpx
from socketlabs_sandbox import Sandbox

BODY = """<?xml version="1.0" encoding="utf-8"?>
<PostBody>
  <ServerId>{server_id}</ServerId>
  <Messages>
    <Message>
      <To><Address><EmailAddress>%%DeliveryAddress%%</EmailAddress></Address></To>
      <From><EmailAddress>noreply@example.com</EmailAddress><FriendlyName>Example</FriendlyName></From>
      <Subject>Hi %%Name%%</Subject>
      <TextBody>Code %%Code%%</TextBody>
      <Tags><string>xml</string></Tags>
      <MergeData>
        <PerMessage>
          <ArrayOfMergeField>
            <MergeField><Field>DeliveryAddress</Field><Value>ann@example.com</Value></MergeField>
            <MergeField><Field>Name</Field><Value>Ann</Value></MergeField>
          </ArrayOfMergeField>
          <ArrayOfMergeField>
            <MergeField><Field>DeliveryAddress</Field><Value>bob@nowhere.invalid</Value></MergeField>
          </ArrayOfMergeField>
        </PerMessage>
        <Global><MergeField><Field>Code</Field><Value>42</Value></MergeField></Global>
      </MergeData>
    </Message>
  </Messages>
</PostBody>"""


def test_an_xml_body_with_an_xml_answer(sb: Sandbox, inject: httpx.Client) -> None:
    response = inject.post(
        "/email",
        content=BODY.format(server_id=sb.server_id).encode(),
        headers={
            "Authorization": f"Bearer {sb.api_key}",
            "Content-Type": "application/xml; charset=utf-8",
            "Accept": "application/xml",
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own sandbox on 127.0.0.1
    assert root.tag == "InjectionResponse"
    assert root.findtext("ErrorCode") == "Warning"
    (result,) = root.find("MessageResults") or []
    assert result.findtext("Index") == "0" and result.findtext("ErrorCode") == "Warning"
    (address,) = result.find("AddressResults") or []
    assert address.findtext("EmailAddress") == "bob@nowhere.invalid"
    assert address.findtext("Accepted") == "false" and address.findtext("ErrorCode") == "InvalidAddress"
    (sent,) = sb.state.sent
    assert (sent.address, sent.subject) == ("ann@example.com", "Hi Ann")


def test_xml_body_with_a_json_answer_and_a_bad_document(sb: Sandbox, inject: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {sb.api_key}", "Content-Type": "application/xml"}
    good = inject.post("/email", content=BODY.format(server_id=sb.server_id).encode(), headers=headers)
    assert good.headers["content-type"].startswith("application/json")
    assert good.json()["ErrorCode"] == "Warning"
    for broken in (b"<PostBody><ServerId>1", b"<Other><ServerId>1</ServerId></Other>"):
        answer = inject.post("/email", content=broken, headers=headers)
        assert (answer.status_code, answer.json()["ErrorCode"]) == (200, "InvalidData")


def test_body_api_key_in_xml(sb: Sandbox, inject: httpx.Client) -> None:
    body = BODY.format(server_id=sb.server_id).replace(
        "<ServerId>", f"<ApiKey>{sb.api_key}</ApiKey><ServerId>"
    )
    answer = inject.post("/email", content=body.encode(), headers={"Content-Type": "text/xml"})
    assert answer.json()["ErrorCode"] == "Warning"
    wrong = body.replace(sb.api_key, "nope")
    refused = inject.post("/email", content=wrong.encode(), headers={"Content-Type": "text/xml"})
    assert refused.status_code == 401
