"""Mistakes a type checker must catch: each line marked ``# error`` is one error.

Type-checked against the installed wheel (see test_installed_types.py); never run.
"""

from __future__ import annotations

from socketlabs_client import BasicMessage, SocketLabs

client = SocketLabs(api_key="key", server_id=12345)
message = BasicMessage(subject="Hi", from_="noreply@example.com", text="Hello", to=["ann@example.com"])
client.send(message, dry_runn=True)  # error
client.with_options(timeot=5)  # error
client.unverified.suppressions.search(sort_direction="up")  # error
client.unverified.reports.delivered_overview(start_date=20250101)  # error
client.suppressions.search()  # error
missing = client.suppressions.check(email_address="a@example.com").no_such_field  # error
