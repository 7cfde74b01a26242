"""OAuth2 logins for SMTP and IMAP: the providers' flows, the tokens kept, and their refresh.

The client id is in outreach.toml; the client secret (where the provider gives one) and the
refresh token are in the system keyring; an access token lives only in this process's memory,
is refreshed when it expires, and once more when a server refuses it. The protocol is
authlib's (imported only by the functions that talk to the provider): PKCE, the token
requests and their errors; outreach adds the loopback listener and the device-code polling.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from outreach.delivery.credentials import (
    Password,
    find_password,
    keyring_read,
    keyring_remove,
    keyring_write,
)
from outreach.support.errors import CredentialsError, Problem
from outreach.support.text import printable
from outreach.workspace.settings import LOOPBACK_HOSTS, OAuth2, Server, Settings

GOOGLE_SCOPES = ("https://mail.google.com/",)
MICROSOFT_SCOPES = (
    "https://outlook.office.com/SMTP.Send",
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "offline_access",
)
# Microsoft's personal accounts (Outlook.com) sign in under /consumers, work and school
# accounts under /organizations; the address's domain tells which.
MICROSOFT_CONSUMER_DOMAINS = ("outlook", "hotmail", "live", "msn", "passport")
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GOOGLE_WARNING_AGE = timedelta(days=6)  # apps in "Testing" lose their refresh tokens after 7
EXPIRY_MARGIN = 60  # seconds: a token this close to expiring is refreshed before use
HTTP_TIMEOUT = 30.0  # seconds for each request to the provider
LOGIN_WAIT = 300.0  # seconds the browser or the device code has to come back

LOGIN_AGAIN = "run 'outreach auth login --oauth2' again"
NO_KEYRING = (
    "this machine has no system keyring (a headless server?), where outreach keeps the OAuth2 "
    "refresh token: install a keyring backend such as keyrings.alt (and choose it with "
    "PYTHON_KEYRING_BACKEND), or let a token broker (oama, pizauth) keep the tokens and name "
    "its command in password_cmd"
)


@dataclass(frozen=True)
class Endpoints:
    """Where a provider's flow goes: `flow` is "loopback" (a browser, PKCE) or "device"."""

    provider: str
    flow: str
    token_url: str
    scopes: tuple[str, ...]
    authorize_url: str | None = None
    device_url: str | None = None


def microsoft_tenant(account: str) -> str:
    domain = account.rpartition("@")[2].lower()
    return "consumers" if domain.split(".")[0] in MICROSOFT_CONSUMER_DOMAINS else "organizations"


def endpoints(oauth2: OAuth2, account: str) -> Endpoints:
    """The provider's preset, with the endpoints and scopes `[oauth2]` gives put in its place
    (for `custom` they are all there is). Raises CredentialsError where they do not add up."""
    problems = endpoint_problems(oauth2)
    if problems:
        raise CredentialsError(*problems)
    if oauth2.provider == "google":
        preset = Endpoints(
            "google",
            "loopback",
            "https://oauth2.googleapis.com/token",
            GOOGLE_SCOPES,
            authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        )
    elif oauth2.provider == "microsoft":
        base = f"https://login.microsoftonline.com/{microsoft_tenant(account)}/oauth2/v2.0"
        preset = Endpoints(
            "microsoft",
            "device",
            f"{base}/token",
            MICROSOFT_SCOPES,
            device_url=f"{base}/devicecode",
        )
    else:
        flow = "loopback" if oauth2.authorize_url else "device"
        preset = Endpoints("custom", flow, oauth2.token_url or "", oauth2.scopes)
    return replace(
        preset,
        token_url=oauth2.token_url or preset.token_url,
        scopes=oauth2.scopes or preset.scopes,
        authorize_url=oauth2.authorize_url or preset.authorize_url,
        device_url=oauth2.device_url or preset.device_url,
    )


def endpoint_problems(oauth2: OAuth2) -> list[Problem]:
    """What `[oauth2]` lacks or holds wrongly, each as a problem in outreach.toml."""
    problems: list[Problem] = []

    def problem(message: str) -> None:
        problems.append(Problem("outreach.toml", message))

    if not oauth2.client_id:
        problem(
            "oauth2.client_id is missing: register a desktop client with the provider "
            "(README: OAuth2) and put its client id there"
        )
    if oauth2.provider == "custom":
        if not oauth2.token_url:
            problem("oauth2.token_url is missing: provider custom needs the token endpoint")
        if not (oauth2.authorize_url or oauth2.device_url):
            problem(
                "provider custom needs oauth2.authorize_url (the browser flow) or "
                "oauth2.device_url (the device-code flow)"
            )
        if not oauth2.scopes:
            problem('provider custom needs oauth2.scopes, a list such as ["...", "..."]')
    for key in ("token_url", "authorize_url", "device_url"):
        url = getattr(oauth2, key)
        if url and not _secure(url):
            problem(
                f"oauth2.{key} must be an https:// address (http:// only for a server on "
                "this machine)"
            )
    return problems


def _secure(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return True
    return parts.scheme == "http" and (host in LOOPBACK_HOSTS or host.startswith("127."))


def oauth2_servers(settings: Settings) -> list[Server]:
    """The servers that log in with the built-in OAuth2 (not through a token broker)."""
    servers: list[Server] = [settings.smtp]
    if settings.imap is not None:
        servers.append(settings.imap)
    return [s for s in servers if s.auth == "oauth2" and not s.password_cmd]


def configuration_problems(settings: Settings) -> list[Problem]:
    """What OAuth2 logins need and outreach.toml does not give (for check and auth status)."""
    problems: list[Problem] = []
    servers = oauth2_servers(settings)
    for server in servers:
        name = server.protocol
        if not server.user:
            problems.append(
                Problem("outreach.toml", f"{name}.auth is oauth2, but {name}.user is not set")
            )
        if settings.oauth2 is None:
            problems.append(
                Problem(
                    "outreach.toml",
                    f"{name}.auth is oauth2, but there is no [oauth2] section: add one "
                    f"(provider and client_id), or set {name}.password_cmd to a token broker",
                )
            )
    if servers and settings.oauth2 is not None:
        problems.extend(endpoint_problems(settings.oauth2))
    return problems


# --- what login keeps: the grant, in the keyring -------------------------------------------


@dataclass(frozen=True)
class Grant:
    """The refresh token and what is known about it; kept in the keyring as one JSON text."""

    account: str
    provider: str
    client_id: str
    refresh_token: str = field(repr=False)
    issued: datetime  # when this refresh token was issued (UTC)
    scopes: tuple[str, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "provider": self.provider,
                "client_id": self.client_id,
                "refresh_token": self.refresh_token,
                "issued": self.issued.isoformat(),
                "scopes": list(self.scopes),
            }
        )

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(UTC)) - self.issued

    def age_warning(self, now: datetime | None = None) -> str | None:
        """For Google: a refresh token older than six days may be gone tomorrow."""
        if self.provider != "google" or self.age(now) <= GOOGLE_WARNING_AGE:
            return None
        return (
            f"the Google refresh token for {self.account} was issued {self.age(now).days} days "
            'ago; an app in Google\'s "Testing" state loses it after seven: publish the app, or '
            f"{LOGIN_AGAIN} before then"
        )


def _grant_key(account: str) -> str:
    return f"oauth2-refresh-token:{account}"


def _secret_key(client_id: str) -> str:
    return f"oauth2-client-secret:{client_id}"


def stored_grant(account: str) -> Grant | None:
    text = keyring_read(_grant_key(account), NO_KEYRING)
    if text is None:
        return None
    try:
        data = json.loads(text)
        return Grant(
            account,
            str(data["provider"]),
            str(data["client_id"]),
            str(data["refresh_token"]),
            datetime.fromisoformat(data["issued"]),
            tuple(str(scope) for scope in data["scopes"]),
        )
    except (ValueError, KeyError, TypeError):
        raise CredentialsError(
            f"the OAuth2 login stored for {account} in the system keyring cannot be read: "
            f"{LOGIN_AGAIN}"
        ) from None


def store_grant(grant: Grant) -> None:
    keyring_write(_grant_key(grant.account), grant.to_json(), NO_KEYRING)


def store_client_secret(client_id: str, secret: str) -> None:
    """Keep the client secret; an empty one (a public client) removes any kept before."""
    if secret:
        keyring_write(_secret_key(client_id), secret, NO_KEYRING)
    else:
        keyring_remove(_secret_key(client_id), NO_KEYRING)


def client_secret(client_id: str) -> str | None:
    return keyring_read(_secret_key(client_id), NO_KEYRING)


def forget(account: str, client_id: str | None) -> list[str]:
    """Remove what login stored; the names of what was there."""
    removed = []
    if keyring_remove(_grant_key(account), NO_KEYRING):
        removed.append(f"the OAuth2 refresh token for {account}")
    if client_id and keyring_remove(_secret_key(client_id), NO_KEYRING):
        removed.append(f"the client secret of {client_id}")
    return removed


# --- talking to the provider ---------------------------------------------------------------


def _session(oauth2: OAuth2, secret: str | None, **options: Any) -> Any:
    from authlib.integrations.requests_client import OAuth2Session

    return OAuth2Session(
        client_id=oauth2.client_id,
        client_secret=secret or None,
        token_endpoint_auth_method="client_secret_post" if secret else "none",
        **options,
    )


class _Pending(Exception):
    """The device-code sign-in has not finished yet (`slow_down`: poll less often)."""

    def __init__(self, slow_down: bool) -> None:
        self.slow_down = slow_down
        super().__init__()


def _token_request(
    call: Callable[[], Any], host_url: str, *, refreshing: bool, polling: bool = False
) -> dict[str, Any]:
    """A token request, with the provider's refusals and a lost network in the person's words."""
    import requests
    from authlib.integrations.base_client.errors import OAuthError

    host = urllib.parse.urlsplit(host_url).netloc
    try:
        token = call()
    except OAuthError as error:
        code = str(error.error or "")
        if polling and code in ("authorization_pending", "slow_down"):
            raise _Pending(code == "slow_down") from None
        if code == "invalid_grant" and refreshing:
            raise CredentialsError(
                "the OAuth2 refresh token was refused (invalid_grant: revoked, expired, or "
                f"Google's seven-day limit for apps in Testing): {LOGIN_AGAIN}; nothing was sent"
            ) from None
        said = f": {printable(error.description)}" if error.description else ""
        raise CredentialsError(f"{host} refused the OAuth2 request ({code}{said})") from None
    except requests.RequestException as error:
        raise CredentialsError(
            f"cannot reach the OAuth2 server {host} ({type(error).__name__})"
        ) from None
    return dict(token)


def _grant_from(
    token: dict[str, Any], oauth2: OAuth2, where: Endpoints, account: str, now: datetime
) -> Grant:
    refresh = token.get("refresh_token")
    if not refresh:
        raise CredentialsError(
            "the provider gave no refresh token, so outreach could not log in again later "
            "(for Microsoft the scopes must include offline_access); nothing was stored"
        )
    granted = str(token.get("scope") or "").split() or list(where.scopes)
    return Grant(account, where.provider, oauth2.client_id or "", str(refresh), now, tuple(granted))


class _Redirect(http.server.BaseHTTPRequestHandler):
    """The one page the browser comes back to: it carries the code (or the refusal)."""

    server: _Loopback

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if "code" not in query and "error" not in query:
            self.send_error(404)
            return
        self.server.answer = {key: values[0] for key, values in query.items()}
        ok = "code" in query and query.get("state", [""])[0] == self.server.state
        page = (
            "<h1>Signed in</h1><p>outreach has the login; you may close this window.</p>"
            if ok
            else "<h1>Not signed in</h1><p>See the terminal for what went wrong.</p>"
        )
        body = f"<!doctype html><title>outreach</title>{page}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.arrived.set()

    def log_message(self, format: str, *args: Any) -> None:  # the code is in the request line
        pass


class _Loopback(http.server.HTTPServer):
    def __init__(self, state: str) -> None:
        super().__init__(("127.0.0.1", 0), _Redirect)
        self.state = state
        self.answer: dict[str, str] = {}
        self.arrived = threading.Event()


def _loopback_flow(
    oauth2: OAuth2,
    where: Endpoints,
    account: str,
    secret: str | None,
    say: Callable[[str], None],
    open_browser: Callable[[str], bool],
    wait: float,
) -> dict[str, Any]:
    """The browser signs in and is sent back to http://127.0.0.1:PORT/ with a code (PKCE)."""
    from authlib.common.security import generate_token

    verifier = generate_token(64)
    state = generate_token(30)
    listener = _Loopback(state)
    redirect_uri = f"http://127.0.0.1:{listener.server_address[1]}/"
    thread = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        session = _session(
            oauth2,
            secret,
            scope=" ".join(where.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )
        extra = (
            {"access_type": "offline", "prompt": "consent", "login_hint": account}
            if where.provider == "google"
            else {}
        )
        url, _ = session.create_authorization_url(
            where.authorize_url, state=state, code_verifier=verifier, **extra
        )
        say(f"Sign in as {account} in your browser. If no browser opens, open this address:")
        say(url)
        open_browser(url)
        if not listener.arrived.wait(wait):
            raise CredentialsError(
                f"no answer came back from the browser within {wait:g} s; nothing was stored"
            )
    finally:
        listener.shutdown()
        thread.join()
        listener.server_close()
    answer = listener.answer
    if "error" in answer:
        raise CredentialsError(
            f"the sign-in was refused ({printable(answer['error'])}); nothing was stored"
        )
    if answer.get("state") != state:
        raise CredentialsError(
            "the browser came back with a state that this login did not send; nothing was stored"
        )
    return _token_request(
        lambda: session.fetch_token(
            where.token_url, code=answer["code"], code_verifier=verifier, timeout=HTTP_TIMEOUT
        ),
        where.token_url,
        refreshing=False,
    )


def _device_flow(
    oauth2: OAuth2,
    where: Endpoints,
    secret: str | None,
    say: Callable[[str], None],
    sleep: Callable[[float], None],
    wait: float,
) -> dict[str, Any]:
    """The device-code flow (RFC 8628): a code to enter at an address, then polling."""
    import requests

    session = _session(oauth2, secret, scope=" ".join(where.scopes))
    device_url = where.device_url or ""
    host = urllib.parse.urlsplit(device_url).netloc
    try:
        response = session.post(
            device_url,
            data={"client_id": oauth2.client_id, "scope": " ".join(where.scopes)},
            timeout=HTTP_TIMEOUT,
            withhold_token=True,
        )
        started = response.json()
    except (requests.RequestException, ValueError) as error:
        raise CredentialsError(
            f"cannot start the device-code sign-in at {host} ({type(error).__name__})"
        ) from None
    if not isinstance(started, dict) or "device_code" not in started:
        refusal = started.get("error") if isinstance(started, dict) else None
        raise CredentialsError(
            f"{host} refused to start the device-code sign-in ({printable(str(refusal))})"
        )
    address = started.get("verification_uri") or started.get("verification_url")
    say(f"To sign in, open {address} and enter the code {started.get('user_code')}")
    say("Waiting for the sign-in to finish ...")
    interval = max(1.0, float(started.get("interval") or 5))
    deadline = time.monotonic() + min(wait, float(started.get("expires_in") or wait))
    while True:
        sleep(interval)
        try:
            return _token_request(
                lambda: session.fetch_token(
                    where.token_url,
                    grant_type=DEVICE_CODE_GRANT,
                    device_code=started["device_code"],
                    timeout=HTTP_TIMEOUT,
                ),
                where.token_url,
                refreshing=False,
                polling=True,
            )
        except _Pending as pending:
            if pending.slow_down:
                interval += 5
            if time.monotonic() > deadline:
                raise CredentialsError(
                    "the device code expired before the sign-in finished; nothing was stored"
                ) from None


def login(
    oauth2: OAuth2,
    account: str,
    secret: str,
    *,
    say: Callable[[str], None],
    open_browser: Callable[[str], bool],
    sleep: Callable[[float], None] = time.sleep,
    wait: float | None = None,
) -> Grant:
    """Run the provider's flow for `account` and keep the client secret and refresh token in
    the keyring; the access token it also brings is not kept."""
    where = endpoints(oauth2, account)
    wait = login_wait() if wait is None else wait
    keyring_read(_grant_key(account), NO_KEYRING)  # no keyring: say so before the sign-in
    if where.flow == "loopback":
        token = _loopback_flow(oauth2, where, account, secret, say, open_browser, wait)
    else:
        token = _device_flow(oauth2, where, secret, say, sleep, wait)
    grant = _grant_from(token, oauth2, where, account, datetime.now(UTC))
    store_client_secret(oauth2.client_id or "", secret)
    store_grant(grant)
    return grant


def login_wait() -> float:
    """Seconds a sign-in may take (OUTREACH_OAUTH2_WAIT, default 300)."""
    return float(os.environ.get("OUTREACH_OAUTH2_WAIT", str(LOGIN_WAIT)))


class AccessTokens:
    """An account's access token, in memory only: refreshed when it expires, or on demand
    after a server refused it."""

    def __init__(self, oauth2: OAuth2, account: str) -> None:
        self.oauth2 = oauth2
        self.account = account
        self.where = endpoints(oauth2, account)
        grant = stored_grant(account)
        if grant is None:
            raise CredentialsError(
                f"no OAuth2 login is stored for {account}: run 'outreach auth login --oauth2'"
            )
        if grant.client_id != oauth2.client_id or grant.provider != self.where.provider:
            raise CredentialsError(
                f"the OAuth2 login stored for {account} is for another client or provider "
                f"than outreach.toml names: {LOGIN_AGAIN}"
            )
        self.grant = grant
        self.secret = client_secret(oauth2.client_id or "")
        self._token: str | None = None
        self._expires = 0.0  # time.time() when the token in hand expires
        self.refreshes = 0

    def current(self) -> str:
        if self._token is None or time.time() >= self._expires - EXPIRY_MARGIN:
            return self.refresh()
        return self._token

    def refresh(self) -> str:
        """A new access token from the refresh token; a new refresh token is kept, if one came."""
        session = _session(self.oauth2, self.secret, scope=" ".join(self.where.scopes))
        refresh_token = self.grant.refresh_token
        token = _token_request(
            lambda: session.refresh_token(
                self.where.token_url, refresh_token=refresh_token, timeout=HTTP_TIMEOUT
            ),
            self.where.token_url,
            refreshing=True,
        )
        access = token.get("access_token")
        if not access:
            raise CredentialsError("the OAuth2 server answered the refresh without an access token")
        self.refreshes += 1
        self._token = str(access)
        self._expires = time.time() + float(token.get("expires_in") or 3600)
        rotated = token.get("refresh_token")
        if rotated and rotated != refresh_token:
            granted = str(token.get("scope") or "").split() or list(self.grant.scopes)
            self.grant = replace(
                self.grant,
                refresh_token=str(rotated),
                issued=datetime.now(UTC),
                scopes=tuple(granted),
            )
            store_grant(self.grant)
        return self._token


def find_secret(
    server: Server,
    oauth2: OAuth2 | None,
    prompt: Callable[[str], str] | None,
    notify: Callable[[str], None],
) -> Password:
    """What `server` logs in with: a password (credentials.py), a token broker's access token
    (password_cmd), or an access token from the stored OAuth2 login. `notify` gets the
    warning about an old Google refresh token."""
    if server.auth != "oauth2" or server.password_cmd:
        return find_password(server, prompt)
    if not server.user:
        name = server.protocol
        raise CredentialsError(f"{name}.auth is oauth2, but {name}.user is not set")
    if oauth2 is None:
        raise CredentialsError(
            f"{server.protocol}.auth is oauth2, but outreach.toml has no [oauth2] section: add "
            f"one, or set {server.protocol}.password_cmd to a token broker"
        )
    tokens = AccessTokens(oauth2, server.user)
    warning = tokens.grant.age_warning()
    if warning:
        notify(warning)
    return Password(
        tokens.current(), "oauth2", xoauth2=True, current=tokens.current, renew=tokens.refresh
    )


# --- what auth status and check say ------------------------------------------------------


@dataclass(frozen=True)
class LoginReport:
    """Where each server's secret would come from, and what is missing: nothing secret."""

    lines: tuple[str, ...]
    problems: tuple[Problem, ...]
    configured: bool  # a login beyond a plain password (oauth2 or a password_cmd) is set up


def login_report(
    settings: Settings,
    has_terminal: bool,
    now: datetime | None = None,
    *,
    only_configured: bool = False,
) -> LoginReport:
    """`only_configured` (for check): nothing at all, and no keyring read, for plain
    password logins."""
    from outreach.delivery.credentials import keyring_backend, password_source

    lines: list[str] = []
    servers: list[Server] = [settings.smtp] + ([settings.imap] if settings.imap else [])
    built_in = oauth2_servers(settings)
    configured = bool(built_in) or any(
        server.auth == "oauth2" or server.password_cmd for server in servers
    )
    if only_configured and not configured:
        return LoginReport((), (), False)
    problems = configuration_problems(settings)
    for server in servers:
        label = f"{server.protocol.upper()} ({server.user or 'no login'} at {server.host})"
        if server in built_in:
            lines.append(f"{label}: XOAUTH2 with an access token from the OAuth2 login")
        else:
            what = "XOAUTH2" if server.auth == "oauth2" else "password"
            lines.append(f"{label}: {what} {password_source(server, has_terminal).detail}")
    oauth2 = settings.oauth2
    accounts = sorted({server.user for server in built_in if server.user})
    for account in accounts if oauth2 is not None else []:
        assert oauth2 is not None
        try:
            grant = stored_grant(account)
        except CredentialsError as error:
            problems.extend(error.problems)
            continue
        if grant is None:
            problems.append(
                Problem(
                    "",
                    f"no OAuth2 login is stored for {account}: run 'outreach auth login --oauth2'",
                    "warning",
                )
            )
            continue
        issued = grant.issued.astimezone().strftime("%Y-%m-%d %H:%M")
        days = grant.age(now).days
        lines.append(
            f"OAuth2 ({grant.provider}, client {grant.client_id}): account {account}; scopes "
            f"granted: {' '.join(grant.scopes) or '-'}; refresh token issued {issued} "
            f"({days} day{'s' if days != 1 else ''} ago), in the system keyring "
            f"({keyring_backend()})"
        )
        if grant.client_id != oauth2.client_id or grant.provider != oauth2.provider:
            problems.append(
                Problem(
                    "",
                    f"the OAuth2 login stored for {account} is for another client or provider "
                    f"than outreach.toml names: {LOGIN_AGAIN}",
                )
            )
        warning = grant.age_warning(now)
        if warning:
            problems.append(Problem("", warning, "warning"))
    return LoginReport(tuple(lines), tuple(problems), configured)
