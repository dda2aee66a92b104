"""HTTP on 127.0.0.1 -> API Gateway HTTP API (payload 2.0) events for the routed handler.

Routes come from the HttpApi events in template.yaml. Routes with `Auth.Authorizer: AWS_IAM`
need a SigV4 signature (service execute-api) made with the local credentials, checked the
way API Gateway checks it, so one signed client works locally and on AWS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from local import sam_template
from local.invoker import LOCAL_CREDENTIALS, FunctionRunner

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
SIGNATURE_MAX_SKEW_SECONDS = 15 * 60
TOO_MANY_REQUESTS_BODY = b'{"message":"Too Many Requests"}'  # what HTTP APIs answer when throttled
FORBIDDEN_BODY = json.dumps(
    {"message": "Forbidden", "error": {"code": "forbidden", "message": "A valid SigV4 signature is required."}}
).encode()


@dataclass(frozen=True)
class Route:
    function: str
    method: str  # "ANY" or an HTTP method
    path: str  # template path, e.g. /v1/{proxy+}
    iam: bool

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        pattern = ""
        for segment in self.path.strip("/").split("/"):
            greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
            named = re.fullmatch(r"\{(\w+)\}", segment)
            if greedy:
                pattern += rf"/(?P<{greedy.group(1)}>.+)"
            elif named:
                pattern += rf"/(?P<{named.group(1)}>[^/]+)"
            else:
                pattern += "/" + re.escape(segment)
        found = re.fullmatch(pattern or "/", path.rstrip("/") or "/")
        return found.groupdict() if found else None

    def specificity(self) -> tuple[int, int, int]:
        """API Gateway prefers literal segments, then longer paths, then non-greedy ones."""
        segments = self.path.strip("/").split("/")
        literal = sum(1 for s in segments if not s.startswith("{"))
        return (literal, len(segments), 0 if "+}" in self.path else 1)


def routes_from_template() -> list[Route]:
    found: list[Route] = []
    for spec in sam_template.functions().values():
        for event in spec.events:
            if event.type != "HttpApi":
                continue
            auth = event.properties.get("Auth", {}) or {}
            found.append(
                Route(
                    function=spec.logical_id,
                    method=str(event.properties.get("Method", "ANY")).upper(),
                    path=event.properties.get("Path", "/{proxy+}"),
                    iam=auth.get("Authorizer") == "AWS_IAM",
                )
            )
    return found


@dataclass(frozen=True)
class ThrottleLimits:
    rate_per_second: float
    burst: int


class RouteThrottle:
    """API Gateway's route throttling: a token bucket per route, `burst` deep, refilled at `rate`.
    Limits come from the HTTP API's DefaultRouteSettings, overridden per route by RouteSettings."""

    def __init__(
        self,
        default: ThrottleLimits | None,
        per_route: dict[str, ThrottleLimits] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.default = default
        self.per_route = per_route or {}
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}  # route key -> (tokens, at)
        self._lock = threading.Lock()

    def admit(self, route_key: str) -> bool:
        limits = self.per_route.get(route_key, self.default)
        if limits is None:
            return True
        now = self._monotonic()
        with self._lock:
            tokens, at = self._buckets.get(route_key, (float(limits.burst), now))
            tokens = min(float(limits.burst), tokens + (now - at) * limits.rate_per_second)
            admitted = tokens >= 1.0
            self._buckets[route_key] = (tokens - 1.0 if admitted else tokens, now)
            return admitted


def _limits(settings: dict[str, Any] | None) -> ThrottleLimits | None:
    if not settings or "ThrottlingRateLimit" not in settings or "ThrottlingBurstLimit" not in settings:
        return None
    return ThrottleLimits(float(settings["ThrottlingRateLimit"]), int(settings["ThrottlingBurstLimit"]))


def throttle_from_template() -> RouteThrottle:
    """The throttling the template gives the HTTP API that serves the functions' HttpApi events."""
    for resource in sam_template.load()["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::HttpApi":
            continue
        properties = resource.get("Properties", {})
        per_route = {
            key: limits for key, value in (properties.get("RouteSettings") or {}).items() if (limits := _limits(value))
        }
        return RouteThrottle(_limits(properties.get("DefaultRouteSettings")), per_route)
    return RouteThrottle(None)


def resolve_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    matches = [(r, params) for r in routes if (params := r.match(method, path)) is not None]
    if not matches:
        return None
    return max(matches, key=lambda pair: pair[0].specificity())


def verify_sigv4(method: str, url: str, headers: dict[str, str], body: bytes, region: str) -> dict[str, str] | None:
    """Return the caller's identity if the request carries a valid local SigV4 signature."""
    authorization = headers.get("authorization", "")
    found = re.match(
        r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/execute-api/aws4_request, "
        r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$",
        authorization,
    )
    amz_date = headers.get("x-amz-date", "")
    if not found or not amz_date:
        return None
    access_key, _day, signed_region, signed_headers, signature = found.groups()
    if access_key != LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"] or signed_region != region:
        return None
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    if abs((datetime.now(UTC) - signed_at).total_seconds()) > SIGNATURE_MAX_SKEW_SECONDS:
        return None
    # botocore signs whatever X-Amz-Content-Sha256 claims; API Gateway hashes the body it received.
    claimed = headers.get("x-amz-content-sha256")
    if claimed is not None and not hmac.compare_digest(claimed.lower(), hashlib.sha256(body).hexdigest()):
        return None
    names = signed_headers.split(";")
    request = AWSRequest(method=method, url=url, data=body, headers={n: headers.get(n, "") for n in names})
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(
        Credentials(LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"], LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]),
        "execute-api",
        region,
    )
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, signature):
        return None
    return {"accessKey": access_key, "userArn": "arn:aws:iam::123456789012:user/local-admin", "userId": "local-admin"}


def build_event(
    route: Route,
    params: dict[str, str],
    method: str,
    raw_path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    source_ip: str,
    identity: dict[str, str] | None,
) -> dict[str, Any]:
    now = time.time()
    text_like = not body or _is_text(headers.get("content-type", ""))
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": headers.get("host", "127.0.0.1"),
        "domainPrefix": "local",
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": uuid.uuid4().hex,
        "routeKey": route.route_key,
        "stage": "$default",
        "time": formatdate(now, usegmt=True),
        "timeEpoch": int(now * 1000),
    }
    if identity:
        request_context["authorizer"] = {
            "iam": {**identity, "accountId": "123456789012", "callerId": identity["userId"]}
        }
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": request_context,
        "isBase64Encoded": not text_like,
    }
    cookies = [c.strip() for c in headers.get("cookie", "").split(";") if c.strip()]
    if cookies:
        event["cookies"] = cookies
    if query:
        pairs: dict[str, str] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            pairs[key] = f"{pairs[key]},{value}" if key in pairs else value
        event["queryStringParameters"] = pairs
    if params:
        event["pathParameters"] = params
    if body:
        event["body"] = body.decode("utf-8", errors="replace") if text_like else base64.b64encode(body).decode()
    return event


def _is_text(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return (
        kind.startswith("text/")
        or kind in ("application/json", "application/x-www-form-urlencoded", "")
        or kind.endswith("+json")
    )


class LocalApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], runner: FunctionRunner, local_routes: dict[str, Any]) -> None:
        super().__init__(address, _Handler)
        self.runner = runner
        self.routes = routes_from_template()
        self.throttle = throttle_from_template()
        self.local_routes = local_routes  # "/_local/..." -> callable(method, query, body) -> (status, payload)


class _Handler(BaseHTTPRequestHandler):
    server: LocalApi
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the handlers log; request lines would repeat them

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_GET

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) goes to the routed handler too, which answers
        # 405 with an Allow header, instead of http.server's HTML 501.
        if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            self._reply(413, {"content-type": "application/json"}, b'{"message":"Request Entity Too Large"}')
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        if split.path.startswith("/_local/"):
            self._serve_local(split.path, split.query, body)
            return
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        found = resolve_route(self.server.routes, self.command, split.path)
        if found is None:
            self._reply(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
            return
        route, params = found
        if not self.server.throttle.admit(route.route_key):
            self._reply(429, {"content-type": "application/json"}, TOO_MANY_REQUESTS_BODY)
            return
        identity = None
        if route.iam:
            url = f"http://{headers.get('host', '127.0.0.1')}{self.path}"
            identity = verify_sigv4(self.command, url, headers, body, self.server.runner.stack.region)
            if identity is None:
                self._reply(
                    403,
                    {"content-type": "application/json"},
                    FORBIDDEN_BODY,
                )
                return
        event = build_event(
            route, params, self.command, split.path, split.query, headers, body, self.client_address[0], identity
        )
        try:
            result = self.server.runner.invoke(route.function, event)
        except Exception:
            self._reply(500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
            raise
        self._reply_lambda(result)

    def _reply_lambda(self, result: Any) -> None:
        if not isinstance(result, dict) or "statusCode" not in result:
            payload = json.dumps(result).encode()
            self._reply(200, {"content-type": "application/json"}, payload)
            return
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        headers = {k.lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = ",".join(str(v) for v in values)
        cookies = result.get("cookies") or []
        self._reply(int(result["statusCode"]), headers, raw, cookies)

    def _serve_local(self, path: str, query: str, body: bytes) -> None:
        handler = self.server.local_routes.get(path)
        if handler is None:
            self._reply(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
            return
        status, payload = handler(self.command, dict(parse_qsl(query)), body)
        self._reply(status, {"content-type": "application/json"}, json.dumps(payload, default=str).encode())

    def _reply(self, status: int, headers: dict[str, str], body: bytes, cookies: list[str] | None = None) -> None:
        self.send_response(status)
        headers = {**headers, "content-length": str(len(body))}
        headers.setdefault("content-type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        for cookie in cookies or []:
            self.send_header("set-cookie", cookie)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
