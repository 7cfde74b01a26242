"""A real IMAP server on 127.0.0.1 for the mailbox tests: Dovecot where it is installed, else pymap.

Dovecot (`dovecot-imapd`) is what the big providers look like: SPECIAL-USE, UIDPLUS, CONDSTORE.
Each server is a private instance: its own config, a passwd-file user and a Maildir in a
temporary folder, TLS with a certificate from a test CA (trustme, as tests/smtp_server.py makes
for SMTP), both implicit TLS ("ssl") and STARTTLS. It is stopped by its PID.

Where Dovecot is missing, or OUTREACH_TEST_IMAP=pymap asks for it, the same fixture runs pymap
(pure Python, in the `test` extras) with its in-memory backend: STARTTLS only, no SPECIAL-USE, so
the few tests that need it are skipped there (`needs_special_use`), and messages go in by APPEND.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tests.smtp_server import LocalCA, free_port, local_ca

USER = "sam@example.org"
PASSWORD = "correct horse battery staple"
DOVECOT = "/usr/sbin/dovecot"
PASSWORD_ENV = {"OUTREACH_IMAP_PASSWORD": PASSWORD}

# The folders every test server has, and the special-use attribute each carries on Dovecot
# (None: none). A test may start a server with others (`imap_server(folders=...)`).
Folders = dict[str, str | None]
FOLDERS: Folders = {
    "Drafts": "\\Drafts",
    "Sent": "\\Sent",
    "Junk": "\\Junk",
    "Trash": "\\Trash",
}
_START_TIMEOUT = 30.0  # seconds for a server to listen: a bound, not an expectation
_START_ATTEMPTS = 3


def which_server() -> str:
    """ "dovecot" or "pymap": OUTREACH_TEST_IMAP chooses, else Dovecot where it is installed."""
    chosen = os.environ.get("OUTREACH_TEST_IMAP", "").strip().lower()
    if chosen in ("dovecot", "pymap"):
        return chosen
    return "dovecot" if Path(DOVECOT).exists() else "pymap"


@dataclass
class ImapServer:
    """What a test needs to talk to the server, and to put messages into it."""

    kind: str  # "dovecot" | "pymap"
    host: str
    ports: dict[str, int]  # security ("ssl", "starttls") -> port
    user: str
    password: str
    ca: LocalCA
    special_use: bool  # the server names \Drafts, \Sent ... (RFC 6154)
    maildir: Path | None  # Dovecot's Maildir of the user (None for pymap)
    _owner: tuple[int, int] | None = field(default=None, repr=False)  # the mail user's uid, gid
    _delivered: int = field(default=0, repr=False)

    @property
    def security(self) -> str:
        """The default: implicit TLS where the server has it, else STARTTLS."""
        return "ssl" if "ssl" in self.ports else "starttls"

    @property
    def port(self) -> int:
        return self.ports[self.security]

    def settings(self, *, security: str | None = None, folders: Sequence[str] = ()) -> str:
        """An [imap] section for outreach.toml that points at this server."""
        chosen = security or self.security
        lines = [
            "[imap]",
            f'host = "{self.host}"',
            f"port = {self.ports[chosen]}",
            f'security = "{chosen}"',
            f'user = "{self.user}"',
        ]
        if folders:
            lines.append("folders = [" + ", ".join(f'"{name}"' for name in folders) + "]")
        return "\n".join(lines) + "\n"

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca.bundle))

    @contextmanager
    def client(self) -> Iterator[object]:
        """A logged-in imapclient.IMAPClient, for tests that look at or change the mailbox."""
        from imapclient import IMAPClient

        if "ssl" in self.ports:
            imap = IMAPClient(
                self.host, port=self.ports["ssl"], ssl=True, ssl_context=self.client_context()
            )
        else:
            imap = IMAPClient(self.host, port=self.ports["starttls"], ssl=False)
            imap.starttls(self.client_context())
        try:
            imap.login(self.user, self.password)
            yield imap
        finally:
            with contextlib.suppress(Exception):
                imap.logout()

    def put(
        self, folder: str, message: bytes, flags: Sequence[str] = (), *, seen: bool = False
    ) -> None:
        """Put a message into `folder`: a file in the Maildir (Dovecot), else APPEND (pymap)."""
        if self.maildir is None:
            with self.client() as imap:
                all_flags = [*flags, *(["\\Seen"] if seen else [])]
                imap.append(folder, message, flags=all_flags)  # type: ignore[attr-defined]
            return
        # Maildir++ on disk: a folder is a dot-folder, its hierarchy separator a dot
        box = (
            self.maildir
            if folder.upper() == "INBOX"
            else self.maildir / ("." + folder.replace("/", "."))
        )
        for sub in ("cur", "new", "tmp"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        self._delivered += 1
        name = f"{time.time_ns()}.M{self._delivered}P{os.getpid()}.outreach-tests"
        letters = "".join(sorted(_MAILDIR_FLAGS[f] for f in flags if f in _MAILDIR_FLAGS))
        if seen:
            letters = "".join(sorted(letters + "S"))
        target = box / ("cur" if letters else "new") / (f"{name}:2,{letters}" if letters else name)
        staged = box / "tmp" / name
        staged.write_bytes(message)
        if self._owner is not None:
            for path in (staged, box, box / "cur", box / "new", box / "tmp"):
                os.chown(path, *self._owner)
        staged.rename(target)

    def messages(self, folder: str) -> list[tuple[int, set[str], bytes]]:
        """Each message in `folder`: its UID, its flags, and its bytes (read without marking)."""
        with self.client() as imap:
            imap.select_folder(folder, readonly=True)  # type: ignore[attr-defined]
            uids = imap.search("ALL")  # type: ignore[attr-defined]
            if not uids:
                return []
            fetched = imap.fetch(uids, ["FLAGS", "BODY.PEEK[]"])  # type: ignore[attr-defined]
        return [
            (
                uid,
                {f.decode() if isinstance(f, bytes) else str(f) for f in data[b"FLAGS"]}
                - {"\\Recent"},
                data[b"BODY[]"],
            )
            for uid, data in sorted(fetched.items())
        ]


_MAILDIR_FLAGS = {"\\Draft": "D", "\\Flagged": "F", "\\Answered": "R", "\\Seen": "S"}


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None and not _pid_alive(log):
            break
        time.sleep(0.05)
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    raise RuntimeError(f"the test IMAP server did not start on port {port}:\n{text}")


def _pid_alive(log: Path) -> bool:
    pid_file = log.parent / "run" / "master.pid"
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (OSError, ValueError):
        return False
    return True


def _mail_user() -> tuple[str, int, int]:
    """Dovecot refuses to run mail or login processes as root: as root, use `nobody`."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_uid, me.pw_gid
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_name, nobody.pw_uid, nobody.pw_gid


def _dovecot_config(
    root: Path,
    ca_files: tuple[Path, Path],
    ports: dict[str, int],
    folders: Folders,
    introspection_url: str | None = None,
) -> str:
    name, uid, gid = _mail_user()
    if os.geteuid() == 0:
        login_user, internal_user = "dovenull", "dovecot"  # the Debian package's users
        try:
            pwd.getpwnam("dovenull")
            pwd.getpwnam("dovecot")
        except KeyError:
            login_user = internal_user = name
    else:
        login_user = internal_user = name
    cert, key = ca_files
    mailboxes = "\n".join(
        f'  mailbox "{folder}" {{\n    auto = subscribe\n'
        + (f"    special_use = {use}\n" if use else "")
        + "  }"
        for folder, use in folders.items()
    )
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = outreach-test-{ports["ssl"]}
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login{" xoauth2 oauthbearer" if introspection_url else ""}
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
mail_privileged_group =
protocol imap {{
  mail_max_userip_connections = 50
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {ports["starttls"]}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ports["ssl"]}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service stats {{
  inet_listener http {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
{_oauth2_passdb(root, introspection_url)}userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}
}}
"""


def _oauth2_passdb(root: Path, introspection_url: str | None) -> str:
    """Dovecot's oauth2 passdb: each XOAUTH2 bearer token is checked by the authorization
    server's introspection endpoint (RFC 7662), and must be active and for the user."""
    if introspection_url is None:
        return ""
    settings = root / "dovecot-oauth2.conf.ext"
    settings.write_text(
        f"introspection_mode = post\nintrospection_url = {introspection_url}\n"
        "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
    )
    return (
        "passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
        f"  args = {settings}\n}}\n"
    )


@contextmanager
def dovecot_server(
    folders: Folders = FOLDERS, introspection_url: str | None = None
) -> Iterator[ImapServer]:
    """A private Dovecot on two free ports (ssl and starttls), stopped by its PID at the end.
    With `introspection_url`, it takes XOAUTH2 too, checking each token there."""
    _, uid, gid = _mail_user()
    # The mail user (not root) must reach the Maildir: a folder of its own, not pytest's
    # root-only tmp_path.
    root = Path(tempfile.mkdtemp(prefix="outreach-dovecot-"))
    os.chmod(root, 0o755)
    process: subprocess.Popen[bytes] | None = None
    try:
        ca = local_ca(root)
        cert, key = root / "server.pem", root / "server.key"
        ca.server.cert_chain_pems[0].write_to_path(str(cert))
        for extra in ca.server.cert_chain_pems[1:]:
            with cert.open("ab") as chain:
                chain.write(extra.bytes())
        ca.server.private_key_pem.write_to_path(str(key))
        os.chmod(key, 0o600)
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        maildir = root / "mail" / USER
        for sub in ("cur", "new", "tmp"):
            (maildir / sub).mkdir(parents=True)
        (root / "home" / USER).mkdir(parents=True)
        for path in (root / "mail", maildir, *(maildir / s for s in ("cur", "new", "tmp"))):
            os.chown(path, uid, gid)
        for path in (root / "home", root / "home" / USER):
            os.chown(path, uid, gid)
        config = root / "dovecot.conf"
        log = root / "dovecot.log"
        # A free port can be taken by another process before Dovecot binds it (tests running
        # side by side): a server that dies on start is started again on other ports.
        for attempt in range(_START_ATTEMPTS):
            ports = {"ssl": free_port(), "starttls": free_port()}
            config.write_text(_dovecot_config(root, (cert, key), ports, folders, introspection_url))
            with (root / "dovecot.stderr").open("wb") as stderr:
                process = subprocess.Popen(
                    [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=stderr
                )
            try:
                _wait_listening(ports["ssl"], process, log)
                _wait_listening(ports["starttls"], process, log)
                break
            except RuntimeError as error:
                _stop(process)
                process = None
                if attempt + 1 == _START_ATTEMPTS:
                    stderr_text = (root / "dovecot.stderr").read_text(errors="replace")
                    raise RuntimeError(f"{error}\n{stderr_text}") from None
        yield ImapServer(
            kind="dovecot",
            host="127.0.0.1",
            ports=ports,
            user=USER,
            password=PASSWORD,
            ca=ca,
            special_use=any(folders.values()),
            maildir=maildir,
            _owner=(uid, gid),
        )
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(root, ignore_errors=True)


_PYMAP_SCRIPT = """
import sys
from pymap.main import main
sys.argv = ["pymap", *sys.argv[1:]]
main()
"""


def _start_pymap(port: int, cert: Path, key: Path, stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    arguments = ["--host", "127.0.0.1", "--port", str(port), "--cert", str(cert)]
    arguments += ["--key", str(key), "dict", "--demo-user", USER, "--demo-password", PASSWORD]
    return subprocess.Popen(
        [sys.executable, "-c", _PYMAP_SCRIPT, *arguments], stdout=subprocess.DEVNULL, stderr=stderr
    )


@contextmanager
def pymap_server(folders: Folders = FOLDERS) -> Iterator[ImapServer]:
    """pymap's in-memory server on a free port, STARTTLS only, with the same folders."""
    root = Path(tempfile.mkdtemp(prefix="outreach-pymap-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        ca = local_ca(root)
        cert, key = root / "server.pem", root / "server.key"
        ca.server.cert_chain_pems[0].write_to_path(str(cert))
        ca.server.private_key_pem.write_to_path(str(key))
        port = free_port()
        log = root / "pymap.log"
        with log.open("wb") as stderr:
            process = _start_pymap(port, cert, key, stderr)
        _wait_listening(port, process, log)
        server = ImapServer(
            kind="pymap",
            host="127.0.0.1",
            ports={"starttls": port},
            user=USER,
            password=PASSWORD,
            ca=ca,
            special_use=False,
            maildir=None,
        )
        with server.client() as imap:
            existing = {name for _, _, name in imap.list_folders()}  # type: ignore[attr-defined]
            for folder in folders:
                if folder not in existing:
                    imap.create_folder(folder)  # type: ignore[attr-defined]
        yield server
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(root, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server by its PID: SIGTERM, then SIGKILL if it does not go."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=_START_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def imap_server(folders: Folders = FOLDERS) -> Iterator[ImapServer]:
    """The IMAP server this machine has: Dovecot, else pymap (see which_server), with
    `folders` beside INBOX."""
    starter = dovecot_server if which_server() == "dovecot" else pymap_server
    with starter(folders) as server:
        yield server


@contextmanager
def old_server(capabilities: str = "IMAP4 AUTH=PLAIN") -> Iterator[int]:
    """A plain-text server on 127.0.0.1 that greets with only `capabilities` (no IMAP4rev1)
    and answers every command with BAD, as a server too old for outreach does. Yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stopping = threading.Event()
    connections: list[socket.socket] = []

    def serve(connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            connection.sendall(f"* OK [CAPABILITY {capabilities}] old server ready\r\n".encode())
            buffer = b""
            while chunk := connection.recv(4096):
                buffer += chunk
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    tag, _, command = line.partition(b" ")
                    if command.upper().startswith(b"CAPABILITY"):
                        connection.sendall(f"* CAPABILITY {capabilities}\r\n".encode())
                        connection.sendall(tag + b" OK done\r\n")
                    elif command.upper().startswith(b"LOGOUT"):
                        connection.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                        return
                    else:
                        connection.sendall(tag + b" BAD not here\r\n")

    threads: list[threading.Thread] = []

    def accept() -> None:
        while not stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(connection)
            thread = threading.Thread(target=serve, args=(connection,), daemon=True)
            thread.start()
            threads.append(thread)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stopping.set()
        acceptor.join()
        listener.close()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        for thread in threads:
            thread.join()
