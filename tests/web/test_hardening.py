"""The HTTP side under hostile clients, as an operator runs it: ``spokesync serve`` in a process
of its own (its memory measured with psutil, its log read as written), and the requests the
issue's review sent: huge bodies, silent and trickling connections, hundreds of half-sent
requests under a small descriptor limit, nested JSON, bad numbers. No answer is a 5xx, every
answer carries the security headers, and the log holds no traceback.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psutil
import pytest
import structlog

from spokesync.web.headers import SECURITY_HEADERS
from tests.serve_process import ServeProcess, wait_until
from tests.web.service_kit import serving
from tests.world_kit import World, auth0_user, seed

WorldFactory = Callable[..., World]
MIB = 1024 * 1024
CHUNK = b"x" * (64 * 1024)


@contextmanager
def serve_process(
    world: World, extra_config: str = "", nofile: int | None = None
) -> Iterator[ServeProcess]:
    """``spokesync serve`` in a process of its own (with ``ulimit -n nofile`` if given)."""
    world.write_config(extra_config)
    command = world.command()
    if nofile is not None:
        command = ["prlimit", f"--nofile={nofile}:{nofile}", *command]
    served = ServeProcess(command, world.env, world.tmp / "serve.log")
    try:
        served.wait_up()
        yield served
    finally:
        served.stop()


def _assert_security_headers(answer: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (answer.status_code, name)
    assert "Traceback" not in answer.text and 'File "' not in answer.text


def _log_has_no_traceback(served: ServeProcess) -> list[dict[str, Any]]:
    """The service's log lines, each one JSON object, none a traceback."""
    text = served.log.read_text()
    assert "Traceback" not in text and 'File "' not in text, text[-3000:]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class RssPeak:
    """The largest resident size of a process while the block runs, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _stream(megabytes: int) -> Iterator[bytes]:
    """A body of ``megabytes`` MiB made as it is sent (never held whole)."""
    for _ in range(megabytes * MIB // len(CHUNK)):
        yield CHUNK


def _huge_post(url: str, path: str, content_type: str, declared: bool) -> httpx.Response:
    """POST 600 MiB to ``path``, with its Content-Length or chunked."""
    headers = {"content-type": content_type}
    if declared:
        headers["content-length"] = str(600 * MIB)
    with httpx.Client(base_url=url, timeout=60) as client:
        return client.post(path, content=_stream(600), headers=headers)


def test_huge_bodies_are_refused_413_while_read(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serve_process(world) as served:
        for _ in range(20):  # warm: every route has been through once
            served.http.get("/")
            served.http.get("/signin")
        before = psutil.Process(served.process.pid).memory_info().rss
        cases = [
            ("/signin", "application/x-www-form-urlencoded", True),
            ("/signin", "application/x-www-form-urlencoded", False),
            ("/api/runs", "application/json", True),
            ("/api/runs", "application/json", False),
        ]
        answers: list[httpx.Response] = []
        with RssPeak(served.process.pid) as rss:
            threads = [
                threading.Thread(target=lambda c=c: answers.append(_huge_post(served.url, *c)))
                for c in cases
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        after = psutil.Process(served.process.pid).memory_info().rss
        assert sorted(a.status_code for a in answers) == [413] * 4
        for answer in answers:
            _assert_security_headers(answer)
            assert "too large" in answer.text
        grown = (rss.peak - before) / MIB
        print(f"serve RSS {before / MIB:.1f} MiB, peak +{grown:.1f} MiB, after {after / MIB:.1f}")
        assert grown < 50 and (after - before) / MIB < 50
        # Small bodies still pass, and the limits are the documented ones.
        assert served.http.post("/api/runs", json={"user": "x" * 60_000}).status_code == 400
        assert (
            served.http.post(
                "/api/runs",
                content=b" " * (64 * 1024 + 1),
                headers={"content-type": "application/json"},
            ).status_code
            == 413
        )
        assert served.http.post("/signin", data={"token": "x" * 9000}).status_code == 413
        assert served.http.get("/healthz").status_code == 200
    assert world.okta().members() == {}
    _log_has_no_traceback(served)


def _closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed ``sock`` (reading and discarding what it sends)."""
    sock.settimeout(seconds)
    start = time.monotonic()
    while sock.recv(4096):
        pass
    return time.monotonic() - start


def test_slow_clients_are_dropped_within_the_header_timeout(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    config = "[serve]\nheader_timeout_seconds = 1\nbody_timeout_seconds = 1.5\n"
    with serving(world, extra_config=config) as served:
        port = int(served.url.rsplit(":", 1)[1])
        silent = socket.create_connection(("127.0.0.1", port))
        trickling = socket.create_connection(("127.0.0.1", port))
        half_body = socket.create_connection(("127.0.0.1", port))
        start = time.monotonic()
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40
        half_body.sendall(
            b"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        dropped_at = None
        for byte in head:  # a byte every 50 ms: the deadline is not moved by each one
            try:
                trickling.sendall(bytes([byte]))
            except OSError:
                dropped_at = time.monotonic() - start
                break
            time.sleep(0.05)
        if dropped_at is None:
            dropped_at = time.monotonic() - start + _closed_within(trickling, 5)
        assert dropped_at < 2.0, dropped_at
        assert time.monotonic() - start + _closed_within(silent, 5) < 2.5
        assert time.monotonic() - start + _closed_within(half_body, 5) < 3.5
        # A keep-alive connection idle after an answer is closed too, and the service answers.
        assert served.http.get("/healthz").status_code == 200
        m = served.metric
        assert m("spokesync_http_dropped_connections_total", reason="header_timeout") >= 2
        assert m("spokesync_http_dropped_connections_total", reason="body_timeout") == 1


def test_probes_answer_while_hundreds_of_requests_hang(world_factory: WorldFactory) -> None:
    """260 half-sent requests under a 256-descriptor limit (the review's case): the oldest
    half-sent ones are closed to make room, /healthz keeps answering, the log stays quiet."""
    world = world_factory(seed([auth0_user(1)]))
    with serve_process(world, "[serve]\nheader_timeout_seconds = 60\n", nofile=256) as served:
        port = int(served.url.rsplit(":", 1)[1])
        hanging: list[socket.socket] = []
        try:
            for n in range(260):
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: %d" % n)
                hanging.append(sock)
            times = []
            with httpx.Client(base_url=served.url, timeout=5) as probe:
                for _ in range(20):
                    start = time.monotonic()
                    with httpx.Client(base_url=served.url, timeout=5) as fresh:
                        assert fresh.get("/healthz").status_code == 200
                    times.append(time.monotonic() - start)
                    assert probe.get("/readyz").status_code == 200
                    time.sleep(0.05)
            assert max(times) < 2.0, times
            assert served.metric("spokesync_http_dropped_connections_total", reason="over_limit")
        finally:
            for sock in hanging:
                sock.close()
        wait_until("the service answers", lambda: served.http.get("/healthz").is_success, 10)
    lines = _log_has_no_traceback(served)
    assert len(lines) < 30, lines


def test_bad_input_is_a_400_with_a_clear_message(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    json_headers = {"content-type": "application/json"}
    with serving(world) as svc:
        post = svc.http.post
        for depth in (40, 30_000):  # 60 KB: within the 64 KiB limit
            nested = b"[" * depth + b"]" * depth
            answer = post("/api/runs", content=nested, headers=json_headers)
            assert answer.status_code == 400 and "deeper" in answer.json()["error"]
            _assert_security_headers(answer)
        # The approval endpoint takes at most 8 KiB, read by the same bounded parser: 4,000
        # levels are past Python's recursion limit, which json.loads would raise (a 500).
        for depth in (40, 4_000):
            nested = b"[" * depth + b"]" * depth
            approve = post("/api/runs/20261201T030000Z-abc123/approve", content=nested)
            assert approve.status_code == 400, approve.text
        deep_object = b'{"user": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}"
        assert post("/api/runs", content=deep_object, headers=json_headers).status_code == 400
        for body, words in (
            (b'{"user": ["auth0|1"]}', '"user" must be'),
            (b'{"user": 12}', '"user" must be'),
            (b'{"users": "auth0|1"}', "unknown field 'users'"),
            (b"\xff\xfe", "UTF-8"),
            (b'"[[[["', "AUTH0_USER_ID"),
        ):
            answer = post("/api/runs", content=body, headers=json_headers)
            assert answer.status_code == 400 and words in answer.json()["error"], answer.text
        for before in ("9" * 5000, "²", "-1", "1e9", "0x10", "１２"):
            answer = svc.http.get(
                "/audit", params={"identity": "partners:auth0|u00001", "before": before}
            )
            assert answer.status_code == 400, before
            assert "before must be a whole number" in answer.text
            _assert_security_headers(answer)
        for path, params in (
            ("/audit", {"identity": "partners:auth0|u00001\x00"}),  # PostgreSQL refuses NUL
            ("/audit", {"identity": "x" * 2000}),
            ("/", {"runs_before": "\x00"}),
            ("/", {"failures_after": "\x1b[31m"}),
        ):
            answer = svc.http.get(path, params=params)
            assert answer.status_code == 400 and "must be printable text" in answer.text
            _assert_security_headers(answer)
        ok = svc.http.get("/audit", params={"identity": "partners:auth0|u00001", "before": "12"})
        assert ok.status_code == 200
        many = "&".join(f"f{n}=1" for n in range(50))
        answer = post(
            "/runs",
            content=many.encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 403  # an unreadable form is an expired one: nothing starts
    assert world.okta().members() == {}


def test_every_error_answer_carries_the_security_headers(world_factory: WorldFactory) -> None:
    world = world_factory(seed([auth0_user(1)]))
    with serving(world) as served:
        http = served.http
        answers = {
            404: http.get("/nowhere"),
            405: http.get("/api/runs"),
            413: http.post(
                "/signin",
                content=b"t" * 9000,
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
            400: http.get("/audit?identity=x&before=%C2%B2"),
        }
        for status, answer in answers.items():
            assert answer.status_code == status
            _assert_security_headers(answer)
        # A request h11 itself refuses (a header line without a colon) gets them too.
        port = int(served.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n")
            raw.settimeout(5)
            reply = b""
            while chunk := raw.recv(4096):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 400") and b"x-frame-options: deny" in reply.lower()


def test_an_unexpected_error_is_a_bare_500_and_one_log_line(
    world_factory: WorldFactory, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    """The store breaks under the dashboard (a bug, a lost database): 500 with the headers and
    no internals; the log gets one redacted line, not a traceback."""
    from spokesync import logs

    logs.configure(json_lines=True)
    request.addfinalizer(structlog.reset_defaults)
    world = world_factory(seed([auth0_user(1)]))
    with serving(world) as svc:
        secret = "hunter2-do-not-log-me"
        from spokesync.redact import register_secret

        register_secret(secret)

        def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError(f"database said no\n  while holding {secret}\n" + "x" * 500)

        svc.service.store.failure_page = broken  # type: ignore[method-assign]
        capsys.readouterr()
        answer = svc.http.get("/")
        assert answer.status_code == 500
        _assert_security_headers(answer)
        assert "database" not in answer.text and secret not in answer.text
        err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if "unexpected error" in line]
    assert len(lines) == 1, err
    (line,) = lines
    assert line["path"] == "/" and line["method"] == "GET"
    assert line["error"].startswith("RuntimeError: database said no while holding [REDACTED]")
    assert len(line["error"]) <= 200 and "Traceback" not in err and secret not in err


def test_hsts_over_https_and_forwarded_headers_only_from_listed_proxies(
    world_factory: WorldFactory,
) -> None:
    world = world_factory(seed([auth0_user(1)]))
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    with serving(world) as svc:  # no proxy listed: the headers are the client's word only
        answer = httpx.get(svc.url + "/signin", headers=forwarded)  # no cookie yet: one is set
        assert "strict-transport-security" not in answer.headers
        assert "secure" not in answer.headers["set-cookie"].lower()
    with serving(world, extra_config='[serve]\nforwarded_allow_ips = ["127.0.0.1"]\n') as svc:
        plain = httpx.get(svc.url + "/signin")
        assert "strict-transport-security" not in plain.headers
        answer = httpx.get(svc.url + "/signin", headers=forwarded)
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
        assert "; secure" in answer.headers["set-cookie"].lower()
        for status_path in ("/nowhere", "/healthz"):
            assert (
                "strict-transport-security" in svc.http.get(status_path, headers=forwarded).headers
            )
    for entry, words in (('"*"', "list the addresses"), ('"proxy.internal"', "not an IP address")):
        world.write_config(f"[serve]\nforwarded_allow_ips = [{entry}]\n")
        checked = world.cli("config", "check")
        assert checked.exit_code == 2 and words in checked.stderr + checked.stdout
