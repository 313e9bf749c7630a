"""Webhook notifications through the project's HTTP seam to a real local receiver."""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from typing import Any

import pytest

from alerts.notify import (
    DeliveryError,
    Notification,
    NotificationKind,
    Severity,
    WebhookChannel,
    classify_status,
    make_test_notification,
    render_message,
)
from collectors.clock import ManualClock
from tests.fixtures.notify import SECRET_PATH, Receiver
from trio_monitor.notify import SeamTransport

# Loggers of this project (httpx's own are kept at WARNING by trio_monitor.logs).
OUR_LOGGERS = ("alerts", "collectors", "trio_monitor")


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


async def deliver(hook: WebhookChannel, clock: ManualClock, count: int, lang: str = "en") -> None:
    notes = [alert(i, clock) for i in range(count)]
    await hook.deliver(render_message(notes, lang, "Europe/Stockholm"))


async def failure(hook: WebhookChannel, clock: ManualClock) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        await deliver(hook, clock, 1)
    return caught.value


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
        "failover": False,
        "failover_since_ms": None,
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


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
async def test_it_reports_a_server_error_as_transient(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock, status: int
) -> None:
    receiver.script = [status]

    error = await failure(WebhookChannel(receiver.url, "json", transport), clock)

    assert not error.permanent
    assert f"HTTP {status}" in str(error)
    assert receiver.posts == []


async def test_it_passes_on_what_retry_after_asks(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    receiver.script, receiver.retry_after = [429], "7"

    error = await failure(WebhookChannel(receiver.url, "json", transport), clock)

    assert not error.permanent and error.retry_after_s == 7.0


@pytest.mark.parametrize("status", [400, 404, 410, 422])
async def test_it_reports_a_client_error_as_permanent_without_the_secret(
    receiver: Receiver,
    transport: SeamTransport,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    receiver.script = [status]

    with caplog.at_level(logging.DEBUG):
        error = await failure(WebhookChannel(receiver.url, "slack", transport), clock)

    assert error.permanent
    assert str(error) == f"HTTP {status} from POST {receiver.base}/…: invalid_payload"
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(OUR_LOGGERS)]
    assert any("-> " + str(status) in line for line in ours)  # the seam's debug line...
    assert not any("s3cr3t" in line for line in ours)  # ...without the secret path


async def test_it_reports_a_working_channel_with_a_test_message(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    hook = WebhookChannel(receiver.url, "json", transport)
    test = make_test_notification(1_700_000_000_000, link="https://monitor.example.se/alerts")

    await hook.deliver(render_message([test], "sv", "Europe/Stockholm"))

    [doc] = receiver.posts
    assert doc["subject"] == "Trio Monitor: testmeddelande"
    assert doc["notifications"][0]["kind"] == "test"


async def test_it_treats_a_slow_receiver_as_transient(
    receiver: Receiver, transport: SeamTransport, clock: ManualClock
) -> None:
    receiver.delay_s = 2.0  # over the seam's 0.5 s read timeout

    error = await failure(WebhookChannel(receiver.url, "json", transport), clock)

    assert not error.permanent
    assert "no response within 0.5 s" in str(error) and "s3cr3t" not in str(error)


async def test_it_treats_a_refused_connection_as_transient(
    transport: SeamTransport, clock: ManualClock
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hook = WebhookChannel(f"http://127.0.0.1:{port}{SECRET_PATH}", "json", transport)

    error = await failure(hook, clock)

    assert not error.permanent
    assert "cannot connect" in str(error) and "s3cr3t" not in str(error)


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
