"""The browser tests' harness: one Arreta stack per test (a fresh database, one TOML configuration,
`arreta serve` processes, `arreta-recorder`, optionally coturn), HTTP helpers, the call-link
mail, Chromium participants, and the checks of a stored recording.

Nothing here sleeps where a condition can be waited for: every wait polls its condition with a
deadline and says what it waited for when the deadline passes.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("ARRETA_BROWSER_TARGET", ROOT / "target" / "debug"))
ARRETA = TARGET / "arreta"
RECORDER = TARGET / "arreta-recorder"
CHROMIUM = os.environ.get("ARRETA_BROWSER_CHROMIUM", "/usr/bin/chromium")
LOGS = ROOT / "target" / "browser-tests"
MADRID = ZoneInfo("Europe/Madrid")

# Chromium's flags: fake camera and microphone without a permission prompt, and ICE over loopback
# (everything here runs on one machine: no traffic leaves it).
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]


class HarnessError(AssertionError):
    pass


def now_ms() -> float:
    return time.time() * 1000.0


def wait_until(what: str, condition: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """Polls `condition` until it gives something truthy, and returns that; fails after `timeout` s
    saying `what` did not happen (and the last value or error seen)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = condition()
            if last:
                return last
        except Exception as error:  # noqa: BLE001 - the last error is part of the failure
            last = error
        if time.monotonic() >= deadline:
            raise HarnessError(f"{what}: not within {timeout:.0f} s (last seen: {last!r})")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Ports and TOML


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_udp_range(count: int) -> tuple[int, int]:
    """`count` consecutive loopback UDP ports that are free now (coturn's relay range)."""
    for _ in range(200):
        base = secrets.randbelow(20000) + 40000
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base, base + count - 1
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise HarnessError(f"no {count} consecutive free UDP ports")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def toml_dumps(data: dict) -> str:
    lines: list[str] = []

    def table(prefix: str, values: dict) -> None:
        scalars = {k: v for k, v in values.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in values.items() if isinstance(v, dict)}
        if prefix and (scalars or not tables):
            lines.append(f"\n[{prefix}]")
        for key, value in scalars.items():
            lines.append(f"{key} = {_toml_value(value)}")
        for key, value in tables.items():
            table(f"{prefix}.{key}" if prefix else key, value)

    table("", data)
    return "\n".join(lines).lstrip() + "\n"


def deep_merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# ---------------------------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<{self.status} {self.body[:300]!r}>"


def http(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Response:
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


# ---------------------------------------------------------------------------------------------
# Processes


class Service:
    """A child process whose stdout and stderr go to a log file (kept under target/browser-tests)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab", buffering=0)
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in iter(self.process.stdout.readline, b""):
            self._log.write(raw)
            with self._lock:
                self._lines.append(raw.decode(errors="replace").rstrip("\n"))

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def wait_for_line(self, prefix: str, timeout: float = 60) -> str:
        def seen() -> str | None:
            for line in self.lines():
                if line.startswith(prefix):
                    return line
            if self.process.poll() is not None:
                raise HarnessError(
                    f"{self.name} exited with {self.process.returncode} before printing {prefix!r}:\n"
                    + "\n".join(self.lines()[-40:])
                )
            return None

        deadline = time.monotonic() + timeout
        while True:
            line = seen()
            if line:
                return line
            if time.monotonic() > deadline:
                raise HarnessError(f"{self.name} did not print {prefix!r} within {timeout} s:\n" + "\n".join(self.lines()[-40:]))
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 5) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(10)
        self._reader.join(5)
        self._log.close()

    def tail(self, count: int = 80) -> str:
        return "\n".join(self.lines()[-count:])


def run(argv: list[str], env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise HarnessError(f"{' '.join(map(str, argv))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def psql(server: str, sql: str) -> None:
    run(["psql", f"{server}/postgres", "-v", "ON_ERROR_STOP=1", "-qAtc", sql], dict(os.environ), timeout=60)


# ---------------------------------------------------------------------------------------------
# The stack


def soon_slot() -> dt.datetime:
    """The start of a 30-minute slot at the quarter hour after the next one (1 to 16 minutes from
    now), moved to the next local midnight if it would cross one, as tests/src/lib.rs does."""
    now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    start = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0) + dt.timedelta(minutes=15)
    local_start = start.astimezone(MADRID)
    local_end = (start + dt.timedelta(minutes=29)).astimezone(MADRID)
    if local_start.date() == local_end.date():
        return start
    midnight = dt.datetime.combine(local_end.date(), dt.time(0, 0), tzinfo=MADRID)
    return midnight.astimezone(dt.timezone.utc)


def random_dni() -> str:
    number = secrets.randbelow(100_000_000)
    return f"{number:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"


def solve_challenge(api_url: str) -> dict[str, str]:
    """A booking challenge from the api, solved as the booking page's worker does: the smallest
    decimal nonce whose SHA-256 of `challenge:nonce` starts with `difficulty` zero bits."""
    challenge = http("GET", f"{api_url}/v1/booking-challenge").json()
    text, bits = challenge["challenge"], int(challenge["difficulty"])
    nonce = 0
    while True:
        digest = int.from_bytes(hashlib.sha256(f"{text}:{nonce}".encode()).digest(), "big")
        if digest >> (256 - bits) == 0:
            return {"challenge": text, "nonce": str(nonce)}
        nonce += 1


def turn_credentials(secret: str, expiry: int, name: str = "arreta") -> tuple[str, str]:
    """coturn's REST scheme (`--use-auth-secret`): username `<unix expiry>:<id>`, credential
    base64(HMAC-SHA1(secret, username))."""
    username = f"{expiry}:{name}"
    credential = base64.b64encode(hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()).decode()
    return username, credential


class Api:
    def __init__(self, service: Service, port: int):
        self.service = service
        self.port = port
        self.url = f"http://127.0.0.1:{port}"


class Stack:
    """One test's Arreta: database `arreta_test_browser_<random>`, a per-test folder (mail, spool,
    keys, logs) and one configuration file that every process of the test reads."""

    def __init__(self, name: str, postgres: str, s3_endpoint: str):
        self.name = name
        self.postgres = postgres.rstrip("/")
        self.s3_endpoint = s3_endpoint
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]
        self.dir = LOGS / safe
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.db = f"arreta_test_browser_{uuid.uuid4().hex}"
        self.database_url = f"{self.postgres}/{self.db}"
        self.api_port = free_port()
        self.recorder_port = free_port()
        self.public_url = f"http://127.0.0.1:{self.api_port}/app"
        self.mail_dir = self.dir / "mail"
        self.spool_dir = self.dir / "spool"
        self.data_dir = self.dir / "var"
        for folder in (self.mail_dir, self.spool_dir, self.data_dir):
            folder.mkdir()
        suffix = uuid.uuid4().hex[:12]
        self.recordings_bucket = f"rec-{suffix}"
        self.documents_bucket = f"doc-{suffix}"
        all_day = ["00:00-24:00"]
        self.config: dict = {
            "profile": "local",
            "database_url": self.database_url,
            "request_timeout_seconds": 120,
            "calendar": {
                "min_lead_minutes": 0,
                "horizon_days": 3650,
                "holidays": [],
                "opening_hours": {day: all_day for day in
                                  ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")},
            },
            "projections": {"poll_interval_ms": 50},
            "auth": {"data_dir": self.data_dir},
            "rate_limits": {"public_per_minute": 60000, "citizen_per_minute": 60000, "burst": 10000},
            "storage": {
                "backend": "s3",
                "endpoint": s3_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "recordings_bucket": self.recordings_bucket,
                "documents_bucket": self.documents_bucket,
                "documents_retention_days": 2,
                "part_size_bytes": 5 * 1024 * 1024,
                "request_timeout_seconds": 10,
            },
            "mail": {
                "transport": "files",
                "folder": self.mail_dir,
                "public_url": self.public_url,
                "poll_interval_ms": 200,
                # The slot starts 1 to 16 minutes from now: the call link is due at once.
                "call_link_lead_minutes": 30,
            },
            "call": {
                "early_join_minutes": 60,
                "whip_url": f"http://127.0.0.1:{self.recorder_port}/whip",
            },
            "recorder": {
                "listen": f"127.0.0.1:{self.recorder_port}",
                "local_ice_addresses": ["127.0.0.1"],
                "spool_dir": self.spool_dir,
                "poll_interval_ms": 100,
            },
        }
        self.config_path = self.dir / "arreta.toml"
        self.apis: list[Api] = []
        self.recorder: Service | None = None
        self.services: list[Service] = []
        self._tokens: dict[tuple[str, str], str] = {}
        self._database_created = False

    # -- set-up ---------------------------------------------------------------------------------

    def configure(self, extra: dict) -> None:
        if self.services:
            raise HarnessError("configure the stack before starting it")
        self.config = deep_merge(self.config, extra)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARRETA_")}
        env.update({"ARRETA_CONFIG": str(self.config_path), "RUST_LOG": env.get("RUST_LOG", "info,sqlx=warn")})
        env.update(extra)
        return env

    def start(self, apis: int = 1, recorder: bool = True) -> "Stack":
        for binary in (ARRETA, RECORDER):
            if not binary.is_file():
                raise HarnessError(f"{binary} is missing: build it first (cargo build --bins --locked)")
        self.config_path.write_text(toml_dumps(self.config))
        psql(self.postgres, f'CREATE DATABASE "{self.db}"')
        self._database_created = True
        run([str(ARRETA), "migrate"], self.env())
        # The development keys (staff tokens, link secret) are made once, before any server starts.
        self.token("clerk", "clerk-07")
        for index in range(apis):
            self.start_api(self.api_port if index == 0 else free_port())
        if recorder:
            self.start_recorder()
        return self

    def start_api(self, port: int) -> Api:
        service = Service(f"api-{len(self.apis) + 1}", [str(ARRETA), "serve"],
                          self.env(ARRETA_LISTEN=f"127.0.0.1:{port}"), self.dir)
        self.services.append(service)
        service.wait_for_line("arreta listening on http://", 90)
        api = Api(service, port)
        wait_until(f"{service.name} ready", lambda: self._ready(api), 60, 0.2)
        self.apis.append(api)
        return api

    def _ready(self, api: Api) -> bool:
        if not api.service.alive():
            raise HarnessError(f"{api.service.name} exited:\n{api.service.tail()}")
        return http("GET", f"{api.url}/health/ready", timeout=5).status == 200

    def start_recorder(self) -> Service:
        service = Service("recorder", [str(RECORDER)], self.env(), self.dir)
        self.services.append(service)
        service.wait_for_line("arreta-recorder listening on http://", 60)
        self.recorder = service
        return service

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        if self._database_created:
            try:
                psql(self.postgres, f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
            except Exception:  # noqa: BLE001 - scripts/test.sh drops leftovers (arreta_test_%)
                pass

    def logs(self) -> str:
        parts = [f"--- configuration {self.config_path}\n{self.config_path.read_text() if self.config_path.exists() else ''}"]
        for service in self.services:
            parts.append(f"--- {service.name} ({service.log_path}), last lines\n{service.tail(120)}")
        for path in sorted(self.dir.glob("browser-*.log")):
            text = path.read_text(errors="replace").splitlines()
            parts.append(f"--- {path.name}, last lines\n" + "\n".join(text[-80:]))
        return "\n".join(parts)

    # -- the api --------------------------------------------------------------------------------

    @property
    def api(self) -> Api:
        return self.apis[0]

    @property
    def whip_url(self) -> str:
        return self.config["call"]["whip_url"]

    def token(self, role: str, sub: str) -> str:
        key = (role, sub)
        if key not in self._tokens:
            self._tokens[key] = run([str(ARRETA), "token", "--role", role, "--sub", sub], self.env()).strip()
        return self._tokens[key]

    def book(self, language: str = "eu") -> str:
        """An anonymous web booking of PADRON-ALTA starting within the next quarter hours."""
        body = {
            "procedure": "PADRON-ALTA",
            "start": soon_slot().isoformat(),
            "channel": "web",
            "language": language,
            "citizen": {
                "name": "Miren Etxeberria Ruiz",
                # Someone new each time: one person holds one appointment per procedure.
                "national_id": random_dni(),
                "email": f"miren.{secrets.token_hex(4)}@example.org",
                "phone": "600123456",
            },
        }
        body["proof"] = solve_challenge(self.api.url)
        answer = http("POST", f"{self.api.url}/v1/requests", body=body)
        if answer.status != 201:
            raise HarnessError(f"booking refused: {answer}")
        return answer.json()["id"]

    def join_link(self, request: str, timeout: float = 30) -> str:
        """The join URL out of the call-link message the mail sender wrote for `request`."""
        pattern = re.compile(re.escape(self.public_url) + r"/(?:eu|es)/join/" + re.escape(request) + r"#[A-Za-z0-9_.\-]+")

        def found() -> str | None:
            for path in sorted(self.mail_dir.glob("*.eml")):
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for part in message.walk():
                    if part.get_content_maintype() != "text":
                        continue
                    match = pattern.search(part.get_content())
                    if match:
                        return match.group(0)
            return None

        return wait_until(f"the call-link message for {request} in {self.mail_dir}", found, timeout, 0.2)

    def call_view(self, request: str, token: str) -> dict:
        answer = http("GET", f"{self.api.url}/v1/requests/{request}/call", token=token)
        if answer.status != 200:
            raise HarnessError(f"GET call: {answer}")
        return answer.json()

    def recordings(self, request: str) -> dict:
        answer = http("GET", f"{self.api.url}/v1/requests/{request}/recordings", token=self.token("auditor", "aud-1"))
        if answer.status != 200:
            raise HarnessError(f"GET recordings: {answer}")
        return answer.json()

    def stored_files(self, request: str) -> list[dict]:
        return [file | {"recording": rec["id"]} for rec in self.recordings(request)["recordings"] for file in rec["stored"]]

    def wait_stored(self, request: str, count: int, timeout: float = 90) -> list[dict]:
        return wait_until(
            f"{count} recorded file(s) stored for {request}",
            lambda: (lambda files: files if len(files) >= count else None)(self.stored_files(request)),
            timeout,
            0.25,
        )

    def download(self, recording: str, key: str) -> bytes:
        query = urllib.parse.urlencode({"key": key, "why": "browser test: checking the stored file"})
        answer = http("GET", f"{self.api.url}/v1/recordings/{recording}/access?{query}",
                      token=self.token("auditor", "aud-1"), timeout=120)
        if answer.status != 200:
            raise HarnessError(f"reading {key}: {answer}")
        return answer.body

    # -- S3 -------------------------------------------------------------------------------------

    def s3(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )


# ---------------------------------------------------------------------------------------------
# Recordings


def discover(path: Path) -> dict:
    """GStreamer's discoverer on a file: its streams' caps and its duration in ms."""
    done = subprocess.run(["gst-discoverer-1.0", "-v", str(path)], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise HarnessError(f"gst-discoverer-1.0 {path}: {done.stdout}{done.stderr}")
    streams = re.findall(r"^\s+(audio|video) #\d+: ([^,\s]+)", done.stdout, re.MULTILINE)
    duration = re.search(r"Duration: (\d+):(\d+):(\d+)\.(\d+)", done.stdout)
    if not duration:
        raise HarnessError(f"no duration from gst-discoverer-1.0 {path}:\n{done.stdout}")
    h, m, s, frac = duration.groups()
    ms = (int(h) * 3600 + int(m) * 60 + int(s)) * 1000 + int(frac.ljust(9, "0")[:9]) / 1e6
    return {
        "audio": [caps for kind, caps in streams if kind == "audio"],
        "video": [caps for kind, caps in streams if kind == "video"],
        "duration_ms": ms,
        "output": done.stdout,
    }


def check_stored_files(stack: Stack, files: list[dict], published_ms: dict[str, float]) -> list[str]:
    """Downloads every file through the api, checks its digest, its streams (one audio, one video),
    its duration (within 10 % of the time that participant published) and its lock (COMPLIANCE,
    at least 1460 days ahead). Gives a line per file for the report."""
    s3 = stack.s3()
    report = []
    for file in files:
        body = stack.download(file["recording"], file["object_key"])
        assert hashlib.sha256(body).hexdigest() == file["sha256"], f"{file['object_key']}: digest"
        assert len(body) == file["size"], f"{file['object_key']}: size"
        path = stack.dir / f"{file['participant']}-{file['object_key'].replace('/', '_')}"
        path.write_bytes(body)
        facts = discover(path)
        assert len(facts["audio"]) == 1 and len(facts["video"]) == 1, (
            f"{file['participant']}'s file holds one audio and one video stream: {facts['output']}")
        published = published_ms[file["participant"]]
        assert abs(facts["duration_ms"] - published) <= 0.10 * published, (
            f"{file['participant']}: {facts['duration_ms']:.0f} ms recorded for {published:.0f} ms published")
        head = s3.head_object(Bucket=stack.recordings_bucket, Key=file["object_key"], VersionId=file["version_id"])
        assert head.get("ObjectLockMode") == "COMPLIANCE", f"{file['object_key']}: lock mode {head.get('ObjectLockMode')}"
        retain = head["ObjectLockRetainUntilDate"]
        assert retain >= dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1460), f"retain-until {retain}"
        report.append(
            f"{file['participant']}: {facts['duration_ms']:.0f} ms for {published:.0f} ms published, "
            f"{facts['audio'][0]} + {facts['video'][0]}, COMPLIANCE until {retain:%Y-%m-%d}"
        )
    return report
