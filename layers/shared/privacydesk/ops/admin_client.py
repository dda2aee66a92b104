"""A SigV4-signed client for the admin API: the same code works against the local stand-in
(its fake credentials, from .local/stack.json) and a deployed stack (your AWS credentials)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

DEFAULT_STACK_FILE = Path(".local/stack.json")


@dataclass(frozen=True)
class AdminReply:
    status: int
    body: Any
    content_type: str


class AdminClient:
    def __init__(self, api_url: str, region: str, credentials: Any) -> None:
        if urlsplit(api_url).scheme not in ("https", "http"):
            # urlopen would also open file:// and other schemes; the admin API is HTTP(S) only.
            raise SystemExit(f"the admin API URL must be https:// (or http:// on loopback), not {api_url!r}")
        self.api_url = api_url.rstrip("/")
        self.region = region
        self.credentials = credentials

    @classmethod
    def discover(
        cls, api_url: str | None = None, region: str | None = None, stack_file: Path | None = None
    ) -> AdminClient:
        """--api/--region, else PRIVACYDESK_API_URL/AWS_REGION, else the running stand-in's stack file."""
        from botocore.credentials import Credentials
        from botocore.session import Session

        stack_path = stack_file or DEFAULT_STACK_FILE
        url = api_url or os.environ.get("PRIVACYDESK_API_URL")
        if url:
            session = Session()
            credentials = session.get_credentials()
            if credentials is None:
                raise SystemExit("no AWS credentials found (set a profile or AWS_ACCESS_KEY_ID)")
            chosen_region = region or os.environ.get("AWS_REGION") or session.get_config_variable("region")
            return cls(url, str(chosen_region), credentials)
        if stack_path.exists():
            stack = json.loads(stack_path.read_text())
            local = stack["credentials"]
            return cls(
                stack["api_url"],
                region or stack["region"],
                Credentials(local["aws_access_key_id"], local["aws_secret_access_key"]),
            )
        raise SystemExit("say where the API is: --api URL, PRIVACYDESK_API_URL, or start the stand-in (make run)")

    def call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> AdminReply:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        url = f"{self.api_url}{path}"
        if query:
            url += "?" + urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode() if body is not None else b""
        request = AWSRequest(method=method, url=url, data=data, headers={"content-type": "application/json"})
        SigV4Auth(self.credentials, "execute-api", self.region).add_auth(request)
        prepared = urllib.request.Request(url, data=data or None, method=method, headers=dict(request.headers.items()))  # noqa: S310 - https or loopback
        try:
            # The scheme is checked in __init__ (http or https only), so bandit's B310 does not apply.
            with urllib.request.urlopen(prepared, timeout=60) as reply:  # noqa: S310  # nosec B310
                return self._reply(reply.status, reply.headers.get("content-type", ""), reply.read())
        except urllib.error.HTTPError as error:
            return self._reply(error.code, error.headers.get("content-type", ""), error.read())

    @staticmethod
    def _reply(status: int, content_type: str, raw: bytes) -> AdminReply:
        body: Any = raw.decode("utf-8", errors="replace")
        if "json" in content_type:
            body = json.loads(body or "null")
        return AdminReply(status, body, content_type)
