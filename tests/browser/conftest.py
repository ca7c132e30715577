"""Fixtures of the browser tests: Chromium (Debian's /usr/bin/chromium through Playwright's own
driver, headless, fake camera and microphone), one Arreta stack per test (fresh database,
configuration file, processes, logs), participants, coturn, and the figures printed at the end."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

from participants import Participant  # noqa: E402
from support import CHROMIUM, CHROMIUM_ARGS, LOGS, HarnessError, Service, Stack, free_port, free_udp_range, wait_until  # noqa: E402

FIGURES: list[tuple[str, str]] = []


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter) -> None:
    if FIGURES:
        terminalreporter.section("call figures")
        for test, line in FIGURES:
            terminalreporter.write_line(f"{test}: {line}")
        LOGS.mkdir(parents=True, exist_ok=True)
        (LOGS / "figures.txt").write_text("".join(f"{t}: {l}\n" for t, l in FIGURES))


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))


@pytest.fixture
def figure(request: pytest.FixtureRequest):
    """figure("…"): a line for the run's "call figures" summary."""
    return lambda line: FIGURES.append((request.node.name, line))


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    if not Path(CHROMIUM).exists():
        raise HarnessError(f"{CHROMIUM} is missing (apt-get install chromium)")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class OwnChromium:
    """A Chromium of its own (its own process group), driven over CDP, that a test can kill
    with SIGKILL: a browser that vanishes sends nothing more, not even a goodbye."""

    def __init__(self, playwright, log_dir: Path):
        self.profile = Path(tempfile.mkdtemp(prefix="arreta-chromium-"))
        port = free_port()
        argv = [CHROMIUM, "--headless", f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1",
                f"--user-data-dir={self.profile}", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--metrics-recording-only", "--password-store=basic",
                "--use-mock-keychain", "--no-sandbox", *CHROMIUM_ARGS, "about:blank"]
        self.service = Service("chromium-own", argv, dict(os.environ), log_dir)
        endpoint = f"http://127.0.0.1:{port}"
        wait_until("the own Chromium's DevTools endpoint", lambda: self.service.alive() and _answers(f"{endpoint}/json/version"), 30)
        self.browser = playwright.chromium.connect_over_cdp(endpoint)

    def kill(self) -> None:
        try:
            os.killpg(self.service.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.service.process.wait(10)

    def close(self) -> None:
        try:
            self.browser.close()
        except Exception:  # noqa: BLE001 - killed already
            pass
        self.service.stop()
        shutil.rmtree(self.profile, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture
def own_chromium(playwright):
    """own_chromium(log_dir): a Chromium the test may kill (OwnChromium)."""
    made: list[OwnChromium] = []

    def make(log_dir: Path) -> OwnChromium:
        chromium = OwnChromium(playwright, log_dir)
        made.append(chromium)
        return chromium

    yield make
    for chromium in made:
        chromium.close()


def _require_env(name: str, hint: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise HarnessError(f"{name} is not set: {hint}. Run scripts/browser-tests.sh, which sets it.")
    return value


@pytest.fixture
def make_stack(request: pytest.FixtureRequest):
    """make_stack(config={...}, apis=1, recorder=True): an Arreta of the test's own, started."""
    postgres = _require_env("ARRETA_TEST_POSTGRES", "the PostgreSQL server the tests make databases on")
    s3 = _require_env("ARRETA_TEST_S3_ENDPOINT", "LocalStack's S3 (Object Lock), started by scripts/test.sh")
    stacks: list[Stack] = []

    def make(config: dict | None = None, apis: int = 1, recorder: bool = True, name: str | None = None) -> Stack:
        stack = Stack(name or request.node.name + (f"-{len(stacks)}" if stacks else ""), postgres, s3)
        stacks.append(stack)
        if config:
            stack.configure(config)
        return stack.start(apis=apis, recorder=recorder)

    yield make
    failed = _failed(request)
    for stack in stacks:
        stack.stop()
        if failed:
            sys.stderr.write(f"\n===== logs of {stack.name} (kept in {stack.dir}) =====\n{stack.logs()}\n")


@pytest.fixture
def participants(browser, request: pytest.FixtureRequest):
    """participants(name, log_dir, relay=False, viewport=None, browser=None): a Chromium
    context per participant (in the session's Chromium unless another is given)."""
    made: list[Participant] = []

    def make(name: str, log_dir: Path, relay: bool = False, viewport: dict | None = None,
             browser=browser) -> Participant:
        participant = Participant(browser, name, log_dir, relay=relay, viewport=viewport)
        made.append(participant)
        return participant

    yield make
    failed = _failed(request)
    for participant in made:
        if failed:
            participant.dump()
        participant.close()


class Turn:
    def __init__(self, service: Service, port: int, secret: str):
        self.service = service
        self.port = port
        self.secret = secret
        self.url = f"turn:127.0.0.1:{port}?transport=udp"


@pytest.fixture
def coturn(tmp_path: Path, request: pytest.FixtureRequest):
    """coturn on loopback with a REST-API shared secret and a small relay port range."""
    started: list[Turn] = []

    def start() -> Turn:
        log_dir = LOGS / "coturn" / request.node.name
        log_dir.mkdir(parents=True, exist_ok=True)
        port = free_port(kind=2)  # SOCK_DGRAM
        low, high = free_udp_range(16)
        secret = secrets.token_hex(16)
        argv = [
            "turnserver", "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            f"--listening-port={port}", "--use-auth-secret", f"--static-auth-secret={secret}",
            "--realm=arreta.test", "--no-tls", "--no-dtls", "--allow-loopback-peers", "--no-cli",
            "--log-file=stdout", "--simple-log", f"--min-port={low}", f"--max-port={high}",
            f"--pidfile={tmp_path / 'turnserver.pid'}", f"--userdb={tmp_path / 'turndb'}", "--verbose",
        ]
        service = Service("coturn", argv, dict(os.environ), log_dir)
        wait_until("coturn listening", lambda: service.alive() and _udp_bound(port), 15, 0.1)
        turn = Turn(service, port, secret)
        started.append(turn)
        return turn

    yield start
    failed = _failed(request)
    for turn in started:
        turn.service.stop()
        if failed:
            sys.stderr.write(f"\n===== coturn ({turn.service.log_path}) =====\n{turn.service.tail(120)}\n")


def _udp_bound(port: int) -> bool:
    out = subprocess.run(["ss", "-Hlun", f"sport = :{port}"], capture_output=True, text=True).stdout
    return bool(out.strip())
