"""A real OAuth2 authorization server on 127.0.0.1, for the flows outreach uses.

A small http.server that implements the endpoints the way the providers do:
`/authorize` (the authorization-code flow with PKCE S256, consenting at once, as a browser
that is signed in sees it), `/token` (authorization_code, refresh_token and the device-code
grant, with `invalid_grant` for anything revoked or wrong, and the client authenticated by
client_secret_post or basic), `/devicecode` and `/device` (where the person enters the
user code), and `/introspect` (RFC 7662, which Dovecot's oauth2 passdb asks). A test can
revoke the grants or expire the access tokens, and checks a bearer token with `valid` (the
SMTP server's XOAUTH2 does).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLIENT_ID = "outreach-test.apps.example.org"
CLIENT_SECRET = "test-client-secret-9f2c"
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class AuthServer:
    """What the server has issued, and the switches a test turns."""

    port: int = 0
    clients: dict[str, str | None] = field(default_factory=lambda: {CLIENT_ID: CLIENT_SECRET})
    expires_in: int = 3600  # seconds, for each access token
    account: str = "sam@example.org"  # whose tokens these are, for introspection
    refuse_introspections: int = 0  # the next N tokens the mail server asks about: inactive
    rotate: bool = False  # a new refresh token with each refresh (as Microsoft does)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)  # by device_code
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> scope
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry
    issued: list[str] = field(default_factory=list)  # every token and code ever handed out
    refreshes: int = 0
    refused_refreshes: int = 0
    device_requested: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def valid(self, token: str) -> bool:
        with self.lock:
            expiry = self.access_tokens.get(token)
        return expiry is not None and time.time() < expiry

    def revoke(self) -> None:
        """Every grant and token withdrawn, as when the person removes the app's access."""
        with self.lock:
            self.refresh_tokens.clear()
            self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        """The access tokens stop working before the client expects (the server says so)."""
        with self.lock:
            self.access_tokens.clear()

    def approve(self, user_code: str) -> bool:
        with self.lock:
            for device in self.devices.values():
                if device["user_code"] == user_code:
                    device["approved"] = True
                    return True
        return False

    def _new(self, prefix: str) -> str:
        value = f"{prefix}-{secrets.token_urlsafe(24)}"
        self.issued.append(value)
        return value

    def tokens(self, scope: str) -> dict[str, Any]:
        with self.lock:
            access = self._new("at")
            refresh = self._new("rt")
            self.access_tokens[access] = time.time() + self.expires_in
            self.refresh_tokens[refresh] = scope
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": refresh,
            "scope": scope,
        }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: dict[str, Any] | str, **headers: str) -> None:
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        content = "application/json" if isinstance(body, dict) else "text/html; charset=utf-8"
        self.send_header("Content-Type", content)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, error: str, status: int = 400) -> None:
        self._reply(status, {"error": error, "error_description": f"test server: {error}"})

    def do_GET(self) -> None:
        auth = self.server.auth
        parts = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
        if parts.path == "/authorize":
            redirect = query.get("redirect_uri", "")
            target = urllib.parse.urlsplit(redirect)
            if (
                query.get("client_id") not in auth.clients
                or query.get("response_type") != "code"
                or target.scheme != "http"
                or target.hostname != "127.0.0.1"
            ):
                self._reply(400, "<h1>bad authorization request</h1>")
                return
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                answer = {"error": "invalid_request", "state": query.get("state", "")}
            else:
                with auth.lock:
                    code = auth._new("code")
                    auth.codes[code] = {
                        "client_id": query["client_id"],
                        "redirect_uri": redirect,
                        "challenge": query["code_challenge"],
                        "scope": query.get("scope", ""),
                    }
                answer = {"code": code, "state": query.get("state", "")}
            location = f"{redirect}?{urllib.parse.urlencode(answer)}"
            self._reply(302, "<h1>redirecting</h1>", Location=location)
        elif parts.path == "/device":
            ok = auth.approve(query.get("user_code", ""))
            self._reply(200 if ok else 404, "<h1>approved</h1>" if ok else "<h1>unknown</h1>")
        else:
            self._reply(404, "<h1>not found</h1>")

    def do_POST(self) -> None:
        auth = self.server.auth
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
        if urllib.parse.urlsplit(self.path).path == "/introspect":  # the mail server asks
            with auth.lock:
                refuse, auth.refuse_introspections = (
                    auth.refuse_introspections > 0,
                    max(0, auth.refuse_introspections - 1),
                )
            active = auth.valid(form.get("token", "")) and not refuse
            self._reply(200, {"active": active, "username": auth.account})
            return
        client = self._client(form)
        if client is None:
            self._error("invalid_client", 401)
            return
        path = urllib.parse.urlsplit(self.path).path
        if path == "/devicecode":
            device_code = auth._new("device")
            user_code = secrets.token_hex(4).upper()
            with auth.lock:
                auth.devices[device_code] = {
                    "user_code": user_code,
                    "approved": False,
                    "scope": form.get("scope", ""),
                }
            auth.device_requested.set()
            self._reply(
                200,
                {
                    "device_code": device_code,
                    "user_code": user_code,
                    "verification_uri": f"{auth.url}/device",
                    "expires_in": 600,
                    "interval": 1,
                },
            )
        elif path == "/token":
            self._token(form)
        else:
            self._error("invalid_request", 404)

    def _client(self, form: dict[str, str]) -> str | None:
        """The client, authenticated by basic or by client_secret_post (or public)."""
        auth = self.server.auth
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            client_id, given = urllib.parse.unquote(user), urllib.parse.unquote(secret)
        else:
            client_id, given = form.get("client_id", ""), form.get("client_secret")
        if client_id not in auth.clients:
            return None
        wanted = auth.clients[client_id]
        if wanted is not None and given != wanted:
            return None
        return client_id

    def _token(self, form: dict[str, str]) -> None:
        auth = self.server.auth
        grant = form.get("grant_type")
        if grant == "authorization_code":
            with auth.lock:
                code = auth.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                code is None
                or code["redirect_uri"] != form.get("redirect_uri")
                or code["challenge"] != challenge
            ):
                self._error("invalid_grant")
                return
            self._reply(200, auth.tokens(code["scope"]))
        elif grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            with auth.lock:
                scope = auth.refresh_tokens.get(refresh)
                if scope is None:
                    auth.refused_refreshes += 1
                else:
                    auth.refreshes += 1
            if scope is None:
                self._error("invalid_grant")
                return
            token = auth.tokens(scope)
            with auth.lock:
                if auth.rotate:
                    del auth.refresh_tokens[refresh]
                else:
                    del auth.refresh_tokens[token.pop("refresh_token")]
            self._reply(200, token)
        elif grant == DEVICE:
            with auth.lock:
                device = auth.devices.get(form.get("device_code", ""))
            if device is None:
                self._error("invalid_grant")
            elif not device["approved"]:
                self._error("authorization_pending")
            else:
                with auth.lock:
                    del auth.devices[form["device_code"]]
                self._reply(200, auth.tokens(device["scope"]))
        else:
            self._error("unsupported_grant_type")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, auth: AuthServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.auth = auth


@contextmanager
def oauth_server(**options: Any) -> Iterator[AuthServer]:
    """The server, running in a thread until the block ends."""
    auth = AuthServer(**options)
    server = _Server(auth)
    auth.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield auth
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
