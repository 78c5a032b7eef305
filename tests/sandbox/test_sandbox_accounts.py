"""The sandbox's account, marketing and management v1 operations over raw HTTP: auth, errors, validation."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest
from socketlabs_sandbox import Sandbox


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_management_v1_answers_errors_as_a_bare_list(
    http: httpx.Client, sb: Sandbox, conforms: Callable[[object, str], None]
) -> None:
    url = f"{sb.management_url}/servers/{sb.server_id}/bounce"
    missing = http.post(url, json={"IsDefault": True}, headers=_bearer(sb.api_key))
    assert missing.status_code == 400
    assert missing.json() == [{"ErrorType": "InvalidParameter", "Message": "Domain is required"}]
    conforms(missing.json(), "ManagementErrorList")

    unknown = http.get(f"{url}/nope.example.com", headers=_bearer(sb.api_key))
    assert unknown.status_code == 404
    conforms(unknown.json(), "ManagementErrorList")

    no_key = http.get(url)
    assert no_key.status_code == 401
    assert no_key.json()[0]["ErrorType"] == "Unauthorized"


def test_management_v1_takes_bearer_only(http: httpx.Client, sb: Sandbox) -> None:
    url = f"{sb.management_url}/servers/{sb.server_id}/dkim"
    basic = "Basic " + base64.b64encode(f"user:{sb.api_key}".encode()).decode()
    assert http.get(url, headers={"Authorization": basic}).status_code == 401
    assert http.get(url, headers=_bearer(sb.api_key)).status_code == 200
    # The same key with Basic is fine on v2.
    assert (
        http.get(
            f"{sb.api_url}/servers/{sb.server_id}/credentials/api-keys", headers={"Authorization": basic}
        ).status_code
        == 200
    )


def test_every_body_problem_is_listed_at_once(http: httpx.Client, sb: Sandbox) -> None:
    response = http.post(
        f"{sb.api_url}/servers/{sb.server_id}/contacts",
        json={"emailAddress": "not-an-address", "firstName": 5, "listIds": [0], "customFields": {"a": 1}},
        headers=_bearer(sb.api_key),
    )
    assert response.status_code == 400
    messages = [e["message"] for e in response.json()["error"]]
    assert len(messages) == 4, messages
    assert sb.state.objects.contacts == {}, "nothing was created"


@pytest.mark.parametrize("body", [b"", b"[]", b"{not json", b'"text"'])
def test_a_body_that_is_not_an_object_is_400(http: httpx.Client, sb: Sandbox, body: bytes) -> None:
    response = http.post(
        f"{sb.api_url}/servers/{sb.server_id}/lists",
        content=body,
        headers={**_bearer(sb.api_key), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"][0]["errorType"] == "InvalidParameter"


@pytest.mark.parametrize(
    "path",
    [
        "lists/0",
        "lists/abc",
        "contacts/99999999999",
        "custom-fields/-1",
        "credentials/api-keys/x",
        "sending-domains/bad_domain",
    ],
)
def test_bad_path_values_are_400(http: httpx.Client, sb: Sandbox, path: str) -> None:
    # Sending domains of servers are on the v1 base (the vendor's changelog), the rest on v2.
    base = sb.management_url if path.startswith("sending-domains") else sb.api_url
    response = http.get(f"{base}/servers/{sb.server_id}/{path}", headers=_bearer(sb.api_key))
    if path.startswith("credentials/api-keys"):  # only DELETE is declared there
        assert response.status_code == 405
        response = http.delete(f"{base}/servers/{sb.server_id}/{path}", headers=_bearer(sb.api_key))
    assert response.status_code == 400, response.text


def test_created_keys_authenticate_until_revoked_and_their_secret_is_shown_once(
    http: httpx.Client, sb: Sandbox
) -> None:
    base = f"{sb.api_url}/servers/{sb.server_id}/credentials/api-keys"
    created = http.post(
        base, json={"name": "ci", "access": "SocketLabsApi"}, headers=_bearer(sb.api_key)
    ).json()
    injection_only = http.post(
        base, json={"name": "mailer", "access": "InjectionApi"}, headers=_bearer(sb.api_key)
    ).json()
    secret = created["data"]["apiKey"]
    listed = http.get(base, headers=_bearer(secret))
    assert listed.status_code == 200
    assert all("apiKey" not in item for item in listed.json()["data"])
    assert http.get(base, headers=_bearer(injection_only["data"]["apiKey"])).status_code == 401
    assert http.delete(f"{base}/{created['data']['id']}", headers=_bearer(sb.api_key)).status_code == 200
    assert http.get(base, headers=_bearer(secret)).status_code == 401


def test_object_lists_sort_filter_and_page(http: httpx.Client, sb: Sandbox) -> None:
    base = f"{sb.api_url}/servers/{sb.server_id}/custom-fields"
    for name, kind in (("zeta", "Text"), ("alpha", "Number"), ("mid", "Text")):
        assert (
            http.post(base, json={"name": name, "dataType": kind}, headers=_bearer(sb.api_key)).status_code
            == 200
        )
    page = http.get(
        base,
        params={"sortField": "name", "sortDirection": "dsc", "pageSize": 2, "pageNumber": 0},
        headers=_bearer(sb.api_key),
    ).json()
    assert ([f["name"] for f in page["data"]], page["total"]) == (["zeta", "mid"], 3)
    texts = http.get(f"{base}?filters=dataType=eq:text", headers=_bearer(sb.api_key)).json()
    assert sorted(f["name"] for f in texts["data"]) == ["mid", "zeta"]
    wrong = http.get(f"{base}?filters=dataType=like:Te", headers=_bearer(sb.api_key))
    assert wrong.status_code == 400, "like does not fit an enum field"
    unknown_sort = http.get(base, params={"sortField": "colour"}, headers=_bearer(sb.api_key))
    assert unknown_sort.status_code == 400


def test_reset_forgets_every_account_object(http: httpx.Client, sb: Sandbox) -> None:
    headers = _bearer(sb.api_key)
    http.post(f"{sb.api_url}/servers/{sb.server_id}/lists", json={"name": "L"}, headers=headers)
    http.post(
        f"{sb.management_url}/servers/{sb.server_id}/tracking",
        json={"Domain": "t.example.com"},
        headers=headers,
    )
    created = http.post(
        f"{sb.api_url}/subaccount", json={"name": "S", "useRuleEngine": True}, headers=headers
    )
    subaccount = created.json()["data"]["subaccountId"]
    http.post(
        f"{sb.management_url}/servers/{sb.server_id}/bounce",
        json={"Domain": "b.example.com"},
        headers=headers,
    )
    sb.reset()
    assert http.get(f"{sb.api_url}/servers/{sb.server_id}/lists", headers=headers).json()["total"] == 0
    assert http.get(f"{sb.management_url}/servers/{sb.server_id}/tracking", headers=headers).json() == []
    assert http.get(f"{sb.api_url}/subaccount/{subaccount}", headers=headers).status_code == 404
    assert http.get(f"{sb.management_url}/servers/{sb.server_id}/bounce", headers=headers).json() == []
