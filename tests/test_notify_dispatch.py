"""The dispatcher's grouping, retries and bookkeeping, with scripted channels and a manual
clock (the real SMTP server and webhook receiver are in test_notify_email/_webhook)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import pytest

from alerts.notify import (
    ChannelState,
    DeliveryError,
    Dispatcher,
    Message,
    Notification,
    NotificationKind,
    Severity,
)
from collectors.clock import ManualClock


@dataclass
class Scripted:
    """A channel that raises the scripted errors in turn, then accepts."""

    script: list[BaseException] = field(default_factory=list)
    received: list[Message] = field(default_factory=list)
    gate: asyncio.Event | None = None

    async def deliver(self, message: Message) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.script:
            raise self.script.pop(0)
        self.received.append(message)


def note(alert_id: str, clock: ManualClock) -> Notification:
    return Notification(
        alert_id=alert_id,
        rule_name="Worker down",
        severity=Severity.WARNING,
        kind=NotificationKind.FIRING,
        entity=f"Agent {alert_id}",
        value=0.0,
        threshold=1.0,
        unit="",
        since_ms=int(clock.time() * 1000),
        link="",
    )


def make(clock: ManualClock, **channels: Scripted) -> Dispatcher:
    return Dispatcher(channels, clock=clock.time, sleep=clock.sleep, group_window_s=2.0)


async def test_it_starts_a_new_group_after_the_window_closed(clock: ManualClock) -> None:
    chan = Scripted()
    d = make(clock, mail=chan)
    d.submit("mail", note("1", clock))
    clock.advance(1.0)
    d.submit("mail", note("2", clock))
    assert d.next_due_in() == pytest.approx(1.0)
    clock.advance(1.0)
    await d.run_once()
    d.submit("mail", note("3", clock))

    assert await d.run_once() == 0
    clock.advance(2.0)
    assert await d.run_once() == 1

    assert [[n.alert_id for n in m.notifications] for m in chan.received] == [["1", "2"], ["3"]]
    assert d.next_due_in() is None


async def test_it_groups_per_channel(clock: ManualClock) -> None:
    mail, hook = Scripted(), Scripted()
    d = make(clock, mail=mail, hook=hook)
    d.submit("mail", note("1", clock))
    d.submit("hook", note("1", clock))
    d.submit("mail", note("2", clock))

    assert await d.flush() == 2

    assert len(mail.received[0].notifications) == 2
    assert len(hook.received[0].notifications) == 1


async def test_it_backs_off_exponentially_up_to_the_cap(clock: ManualClock) -> None:
    chan = Scripted([DeliveryError("busy", permanent=False) for _ in range(5)])
    d = Dispatcher(
        {"mail": chan}, clock=clock.time, sleep=clock.sleep, max_attempts=6,
        base_delay_s=1.0, max_delay_s=4.0,
    )  # fmt: skip
    d.submit("mail", note("1", clock))

    assert await d.flush() == 1

    caps = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert all(cap / 2 <= s <= cap for s, cap in zip(clock.sleeps, caps, strict=True))


async def test_it_keeps_a_group_a_channel_crashed_on_and_marks_it_failing(
    clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    chan = Scripted([RuntimeError("bug in channel")])
    d = make(clock, mail=chan)
    d.submit("mail", note("1", clock))

    with caplog.at_level(logging.ERROR):
        assert await d.flush() == 0

    [failed] = d.failed
    assert failed.error == "unexpected error: RuntimeError: bug in channel"
    assert d.channel_status("mail").state is ChannelState.FAILING
    assert "raised an unexpected error" in caplog.text


async def test_it_leaves_failed_entries_in_place_on_a_plain_reset(clock: ManualClock) -> None:
    chan = Scripted([DeliveryError("550 no such user", permanent=True)])
    d = make(clock, mail=chan)
    d.submit("mail", note("1", clock))
    await d.flush()
    clock.advance(60)

    d.reset("mail")

    status = d.channel_status("mail")
    assert status.state is ChannelState.OK and status.since_ms == 1_700_000_060_000
    assert status.last_error == "550 no such user"  # still shown: it is history
    assert len(d.failed) == 1


async def test_it_delivers_in_the_background_and_requeues_a_group_cut_short(
    clock: ManualClock,
) -> None:
    fast, slow = Scripted(), Scripted(gate=asyncio.Event())
    d = make(clock, fast=fast, slow=slow)
    runner = asyncio.create_task(d.run(tick_s=0.5))
    d.submit("slow", note("s", clock))
    d.submit("fast", note("f", clock))

    for _ in range(50):  # the run loop advances the manual clock as it sleeps
        await asyncio.sleep(0)
        if fast.received:
            break
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner

    assert len(fast.received) == 1  # not held up by the slow channel
    assert slow.received == []
    assert [n.alert_id for n in d.pending("slow")] == ["s"]  # nothing lost
    assert d.failed == []


def test_it_names_the_known_channels_for_an_unknown_one(clock: ManualClock) -> None:
    d = make(clock, mail=Scripted())

    with pytest.raises(KeyError, match="unknown notification channel 'sms' \\(known: mail\\)"):
        d.submit("sms", note("1", clock))


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"base_delay_s": 0.0}, "delays"),
        ({"group_window_s": -1.0}, "group_window_s"),
        ({"lang": "fi"}, "unknown language 'fi'"),
        ({"tz": "Europe/Stockholmm"}, "unknown time zone"),
    ],
)
def test_it_refuses_bad_settings(
    clock: ManualClock, setting: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Dispatcher({}, clock=clock.time, sleep=clock.sleep, **setting)  # type: ignore[arg-type]
