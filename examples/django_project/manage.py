#!/usr/bin/env python
"""A minimal Django site that sends through SocketLabs and receives its webhooks.

Against the local sandbox (no account, no network):

    socketlabs sandbox --port 8025 &              # prints its API key and server id
    export SOCKETLABS_API_KEY=... SOCKETLABS_SERVER_ID=... \\
           SOCKETLABS_INJECT_URL=http://127.0.0.1:8025/api/v1/email \\
           SOCKETLABS_WEBHOOK_SECRETS=...
    python examples/django_project/manage.py sendtestemail ann@example.com
    python examples/django_project/manage.py runserver 127.0.0.1:8000
    # POST events to http://127.0.0.1:8000/socketlabs/events/ (the sandbox's outbox can)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
