"""Webhook notifications through the project's HTTP seam to a real local receiver."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from alerts.notify import (
    ChannelState,
    DeliveryError,
    Dispatcher,
    Notification,
    NotificationKind,
    Severity,
    WebhookChannel,
    classify_status,
)
from alerts.notify.webhook import safe_url
from collectors.clock import Clock, ManualClock, SystemClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError
from collectors.http import HttpConfig, HttpSeam

SECRET_PATH = "/hooks/T0001/B0002/s3cr3tT0ken"
STATUS_KINDS = frozenset({ErrorKind.HTTP_STATUS, ErrorKind.AUTH, ErrorKind.RATE_LIMITED})


class SeamTransport:
    """The project's HTTP seam as a `WebhookTransport`: what the wiring will pass to
    `WebhookChannel` (alerts may not import collectors, so the adapter lives outside)."""

    def __init__(self, seam: HttpSeam, clock: Clock, timeout_s: float = 10.0) -> None:
        self._seam = seam
        self._clock = clock
        self._timeout_s = timeout_s

    async def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        deadline = Deadline(self._clock, self._timeout_s)
        try:
            response = await self._seam.request(
                "POST", url, deadline=deadline, headers=headers, data=body
            )
        except SourceError as err:
            # The seam keeps the URL's path in messages; a webhook's secret lives there.
            message = str(err).replace(err.url, safe_url(url)) if err.url else str(err)
            permanent = err.permanent
            if err.status is not None and err.kind in STATUS_KINDS:
                classified = classify_status(err.status, "")
                permanent = classified is not None and classified.permanent
            raise DeliveryError(
                message, permanent=permanent, retry_after_s=err.retry_after_s
            ) from err
        return response.status


@dataclass
class Receiver:
    """A webhook endpoint answering from a script of statuses, then 200."""

    script: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    retry_after: str | None = None
    posts: list[dict[str, Any]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    base: str = ""

    @property
    def url(self) -> str:
        return self.base + SECRET_PATH

    async def handle(self, request: web.Request) -> web.Response:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        status = self.script.pop(0) if self.script else 200
        if status != 200:
            headers = {"Retry-After": self.retry_after} if self.retry_after else None
            return web.Response(status=status, text="invalid_payload", headers=headers)
        self.content_types.append(request.headers["Content-Type"])
        self.posts.append(await request.json())
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post(SECRET_PATH, rec.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    rec.base = f"http://{host}:{port}"
    yield rec
    await runner.cleanup()


@pytest.fixture
async def transport() -> AsyncIterator[SeamTransport]:
    config = HttpConfig(connect_timeout_s=1.0, read_timeout_s=0.5)
    async with HttpSeam(config, name="notify-test") as seam:
        yield SeamTransport(seam, SystemClock(), timeout_s=5.0)


def alert(i: int, clock: ManualClock, **changes: Any) -> Notification:
    fields: dict[str, Any] = {
        "alert_id": f"a{i}",
        "rule_name": "Longest wait",
        "severity": Severity.CRITICAL,
        "kind": NotificationKind.FIRING,
        "entity": f"Queue {i}",
        "value": 21.0 + i,
        "threshold": 20.0,
        "unit": "s",
        "since_ms": int(clock.time() * 1000),
        "link": f"https://monitor.example.se/alerts?q={i}",
    }
    fields.update(changes)
    return Notification(**fields)


def dispatcher(hook: WebhookChannel, clock: ManualClock, **kwargs: Any) -> Dispatcher:
    return Dispatcher({"hook": hook}, clock=clock.time, sleep=clock.sleep, **kwargs)


async def deliver(hook: WebhookChannel, clock: ManualClock, count: int) -> None:
    d = dispatcher(hook, clock)
    for i in range(count):
        d.submit("hook", alert(i, clock))
    assert await d.flush() == 1
    assert d.failed == []


async def test_it_posts_generic_json_with_every_field(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    await deliver(WebhookChannel(receiver.url, "json", transport), clock, 2)

    [doc] = receiver.posts
    assert receiver.content_types == ["application/json; charset=utf-8"]
    assert doc["version"] == 1 and doc["count"] == 2 and doc["lang"] == "en"
    assert doc["subject"].startswith("[CRITICAL] 2 alerts firing")
    assert "Queue 1" in doc["text"]
    assert doc["notifications"][0] == {
        "alert_id": "a0",
        "rule_name": "Longest wait",
        "severity": "critical",
        "kind": "firing",
        "entity": "Queue 0",
        "value": 21.0,
        "threshold": 20.0,
        "unit": "s",
        "since_ms": 1_700_000_000_000,
        "since": "2023-11-14T22:13:20Z",
        "link": "https://monitor.example.se/alerts?q=0",
    }


async def test_it_posts_a_teams_adaptive_card(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    await deliver(WebhookChannel(receiver.url, "teams", transport), clock, 2)

    [doc] = receiver.posts
    assert doc["type"] == "message"
    [attachment] = doc["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    title, *rest = card["body"]
    assert title["text"] == doc["summary"] and title["text"].startswith("[CRITICAL] 2 alerts")
    assert title["color"] == "attention"
    fact_sets = [block for block in rest if block["type"] == "FactSet"]
    assert len(fact_sets) == 2
    assert {"title": "Value", "value": "21 s (threshold 20 s)"} in fact_sets[0]["facts"]
    assert rest[0]["text"] == (
        "[CRITICAL · Longest wait · Queue 0](https://monitor.example.se/alerts?q=0)"
    )
    assert card["actions"][0]["url"] == "https://monitor.example.se/alerts?q=0"


async def test_it_posts_slack_text_and_blocks(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    await deliver(WebhookChannel(receiver.url, "slack", transport), clock, 3)

    [doc] = receiver.posts
    assert set(doc) == {"text", "blocks"}
    assert doc["text"].startswith("[CRITICAL] 3 alerts firing")
    header, *sections = doc["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": doc["text"]}}
    assert [s["type"] for s in sections] == ["section"] * 3
    first = sections[0]["text"]
    assert first["type"] == "mrkdwn"
    assert first["text"].startswith(
        "*<https://monitor.example.se/alerts?q=0|CRITICAL · Longest wait · Queue 0>*\n"
    )
    assert "Value: 21 s (threshold 20 s)" in first["text"]


async def test_it_delivers_after_retries_when_the_receiver_fails_503_twice(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    receiver.script = [503, 503]
    d = dispatcher(WebhookChannel(receiver.url, "json", transport), clock, base_delay_s=1.0)
    d.submit("hook", alert(1, clock))
    clock.advance(2.0)

    assert await d.run_once() == 1

    assert len(receiver.posts) == 1
    first, second = clock.sleeps
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0  # exponential, jittered
    status = d.channel_status("hook")
    assert status.state is ChannelState.OK
    assert status.last_error is not None and "HTTP 503" in status.last_error
    assert d.failed == []


async def test_it_waits_at_least_what_retry_after_asks(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    receiver.script, receiver.retry_after = [429], "7"
    d = dispatcher(WebhookChannel(receiver.url, "json", transport), clock)
    d.submit("hook", alert(1, clock))

    assert await d.flush() == 1

    assert clock.sleeps == [7.0]


async def test_it_marks_the_channel_failing_on_a_400_and_keeps_the_notification(
    receiver: Receiver,
    transport: SeamTransport,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver.script = [400, 400]
    d = dispatcher(WebhookChannel(receiver.url, "slack", transport), clock)
    note = alert(1, clock)
    d.submit("hook", note)
    clock.advance(2.0)

    with caplog.at_level(logging.ERROR, logger="alerts.notify.dispatch"):
        assert await d.run_once() == 0

    assert clock.sleeps == []  # no retry for a permanent failure
    status = d.channel_status("hook")
    assert status.state is ChannelState.FAILING
    assert status.since_ms == status.last_error_ms == 1_700_000_002_000
    assert status.last_error == (f"HTTP 400 from POST {receiver.base}/…: invalid_payload")
    [failed] = d.failed
    assert failed.notifications == (note,) and failed.permanent and failed.attempts == 1
    assert "not delivered (alerts a1)" in caplog.text
    assert "s3cr3t" not in caplog.text + status.last_error

    later = alert(2, clock)
    d.submit("hook", later)  # a failing channel is not tried, and nothing is lost
    assert d.failed[-1].notifications == (later,)
    assert "channel failing, not tried: HTTP 400" in d.failed[-1].error

    result = await d.send_test("hook")
    assert not result.ok and result.permanent
    assert result.error is not None and "HTTP 400" in result.error
    assert receiver.posts == []

    d.reset("hook", requeue=True)  # the admin fixed the receiver
    assert d.channel_status("hook").state is ChannelState.OK
    assert await d.flush() == 1
    assert d.failed == []
    assert "Queue 1" in receiver.posts[0]["text"] and "Queue 2" in receiver.posts[0]["text"]


async def test_it_keeps_a_group_whose_retries_ran_out_without_failing_the_channel(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    receiver.script = [502, 503, 504]
    d = dispatcher(WebhookChannel(receiver.url, "json", transport), clock, max_attempts=3)
    d.submit("hook", alert(1, clock))

    assert await d.flush() == 0

    assert len(clock.sleeps) == 2
    [failed] = d.failed
    assert not failed.permanent and failed.attempts == 3 and "HTTP 504" in failed.error
    assert d.channel_status("hook").state is ChannelState.OK


async def test_it_reports_a_working_channel_from_send_test(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    d = dispatcher(WebhookChannel(receiver.url, "json", transport), clock, lang="sv")

    result = await d.send_test("hook", link="https://monitor.example.se/settings")

    assert result.ok and result.error is None
    [doc] = receiver.posts
    assert doc["subject"] == "Trio Monitor: testmeddelande"
    assert doc["notifications"][0]["kind"] == "test"


async def test_it_treats_a_slow_receiver_as_transient(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    receiver.delay_s = 2.0  # over the seam's 0.5 s read timeout
    hook = WebhookChannel(receiver.url, "json", transport)

    result = await dispatcher(hook, clock).send_test("hook")

    assert not result.ok and not result.permanent
    assert result.error is not None and "no response within 0.5 s" in result.error


async def test_it_treats_a_refused_connection_as_transient(
    transport: SeamTransport, clock: ManualClock
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hook = WebhookChannel(f"http://127.0.0.1:{port}{SECRET_PATH}", "json", transport)

    result = await dispatcher(hook, clock).send_test("hook")

    assert not result.ok and not result.permanent
    assert result.error is not None and "cannot connect" in result.error
    assert "s3cr3t" not in result.error


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(200, None), (204, None), (301, True), (400, True), (404, True), (408, False),
     (429, False), (500, False), (503, False)],
)  # fmt: skip
def test_it_classifies_statuses(status: int, permanent: bool | None) -> None:
    error = classify_status(status, "POST x")

    assert (error.permanent if error is not None else None) is permanent


def test_it_refuses_a_bad_url_or_format_without_echoing_the_secret() -> None:
    async def never(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        raise AssertionError("not called")

    with pytest.raises(ValueError, match="must be http") as caught:
        WebhookChannel("ftp://example.se/hooks/s3cr3t", "json", never)
    assert "s3cr3t" not in str(caught.value)
    with pytest.raises(ValueError, match="unknown webhook format 'discord'"):
        WebhookChannel("https://example.se/hook", "discord", never)
    assert "s3cr3t" not in repr(WebhookChannel("https://example.se/s3cr3t", "json", never))
