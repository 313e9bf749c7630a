"""Notification channels and SMTP as configured: parsed, validated, refused when unsafe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alerts.notify import (
    ChannelKind,
    EmailChannel,
    EmailChannelSpec,
    WebhookChannel,
    WebhookChannelSpec,
    WebhookFormat,
    parse_channels_json,
)
from specs.errors import SpecError
from trio_monitor.notify import build_channels
from trio_monitor.settings import ConfigError, load_settings

HOOK = "https://example.webhook.office.com/webhookb2/s3cr3t-token"
SMTP = {"smtp_host": "smtp.example.se", "smtp_from": "monitor@example.se"}


def channels(*items: dict[str, Any]) -> str:
    return json.dumps(list(items))


def mail(name: str = "ops-mail", **changes: Any) -> dict[str, Any]:
    return {"name": name, "kind": "email", "recipients": ["ops@example.se"], **changes}


def hook(name: str = "ops-teams", **changes: Any) -> dict[str, Any]:
    return {"name": name, "kind": "webhook", "url": HOOK, "format": "teams", **changes}


def problems_of(text: str, **settings: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(notify_channels=text, **settings)
    return caught.value.lines


# -- the channel list -------------------------------------------------------------------


def test_it_parses_email_and_webhook_channels() -> None:
    specs = parse_channels_json(
        channels(
            mail(recipients=["ops@example.se", "chef@example.se", "OPS@example.se"]),
            hook(),
            hook("alerts-json", format="generic"),
            {"name": "alerts-slack", "kind": "webhook", "url": HOOK},
        )
    )

    assert specs == [
        EmailChannelSpec("ops-mail", ("ops@example.se", "chef@example.se")),
        WebhookChannelSpec("ops-teams", HOOK, WebhookFormat.TEAMS),
        WebhookChannelSpec("alerts-json", HOOK, WebhookFormat.JSON),
        WebhookChannelSpec("alerts-slack", HOOK, WebhookFormat.JSON),
    ]
    assert [s.kind for s in specs[:2]] == [ChannelKind.EMAIL, ChannelKind.WEBHOOK]
    assert "s3cr3t" not in repr(specs)
    assert parse_channels_json("") == parse_channels_json("[]") == []


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([mail(name="ops mail")], "channels[0].name: 'ops mail' is not a name"),
        ([mail(kind="sms")], "channels[0].kind: 'sms' is not one of email, webhook"),
        ([mail(recipient=["x@example.se"])], "channels[0].recipient: unknown field (known for em"),
        ([hook(recipients=["x@example.se"])], "channels[0].recipients: unknown field"),
        ([mail(recipients=[])], "channels[0].recipients: an email channel needs at least one"),
        (
            [mail(recipients=["ops@x,se"])],
            "channels[0].recipients: invalid recipient address 'ops@x,se'",
        ),
        ([mail(recipients=[1])], "channels[0].recipients: must be a list of email addresses"),
        ([{"name": "m", "kind": "email"}], "channels[0].recipients: required"),
        ([hook(format="discord")], "channels[0].format: 'discord' is not one of generic, teams"),
        ([hook(url=None)], "channels[0].url: required"),
        ([mail(), mail()], 'channels[1].name: duplicate name "ops-mail" (also channels[0])'),
        (["ops"], "channels[0]: must be an object, not str"),
    ],
)
def test_it_names_the_bad_item_and_field(items: list[Any], message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_channels_json(json.dumps(items))

    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.se/hooks/s3cr3t",
        "https:///hooks/s3cr3t",
        "https://example.se:99999/hooks/s3cr3t",
        "https://example.se/hooks/s3cr3t and more",
        "example.se/hooks/s3cr3t",
    ],
)
def test_it_refuses_a_bad_webhook_url_without_echoing_its_secret(url: str) -> None:
    with pytest.raises(SpecError, match=r"channels\[0\]\.url") as caught:
        parse_channels_json(channels(hook(url=url)))

    assert "s3cr3t" not in str(caught.value)


def test_it_refuses_a_list_that_is_not_json_or_not_a_list() -> None:
    with pytest.raises(SpecError, match="channels: not valid JSON"):
        parse_channels_json("[{")
    with pytest.raises(SpecError, match="channels: must be a JSON list, not dict"):
        parse_channels_json("{}")


# -- settings -----------------------------------------------------------------------------


def test_it_defaults_to_no_channels_and_the_stockholm_time_zone() -> None:
    settings = load_settings()

    assert settings.notify_channel_specs() == []
    assert settings.timezone == "Europe/Stockholm"
    assert (settings.notify_group_window_s, settings.notify_max_attempts) == (0.5, 5)
    assert (settings.notify_retry_base_s, settings.notify_retry_max_s) == (2.0, 60.0)
    assert (settings.smtp_port, settings.smtp_security.value) == (587, "starttls")


def test_it_names_the_bad_channel_without_echoing_the_list() -> None:
    [line] = problems_of(channels(hook(url="ftp://h/s3cr3t")))

    assert line.startswith("TRIO_MONITOR_NOTIFY_CHANNELS: channels[0].url:")
    assert "s3cr3t" not in line


def test_it_needs_an_smtp_server_for_an_email_channel() -> None:
    [line] = problems_of(channels(mail()))

    assert line == (
        "email channel 'ops-mail' needs TRIO_MONITOR_SMTP_HOST and TRIO_MONITOR_SMTP_FROM"
        " (the SMTP server)"
    )
    assert load_settings(notify_channels=channels(hook())).smtp_host == ""  # webhooks need none


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"smtp_username": "monitor"}, "set TRIO_MONITOR_SMTP_USERNAME and "),
        ({"smtp_password": "pw"}, "set TRIO_MONITOR_SMTP_USERNAME and "),
        ({"smtp_from": "monitor"}, "TRIO_MONITOR_SMTP_FROM: invalid sender address 'monitor'"),
        ({"smtp_security": "ssl"}, "TRIO_MONITOR_SMTP_SECURITY: Input should be 'starttls'"),
        ({"timezone": "Europe/Stockholmm"}, "TRIO_MONITOR_TIMEZONE: unknown time zone"),
        ({"notify_retry_base_s": 90}, "NOTIFY_RETRY_MAX_S must be >= TRIO_MONITOR_NOTIFY_RETRY_"),
        ({"notify_max_attempts": 0}, "TRIO_MONITOR_NOTIFY_MAX_ATTEMPTS: Input should be greater"),
    ],
)
def test_it_refuses_smtp_and_delivery_settings_that_cannot_work(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**settings)

    assert any(line.startswith(message) or message in line for line in caught.value.lines)


def test_it_reads_the_smtp_password_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("hunter2\n", encoding="utf-8")

    settings = load_settings(smtp_username="monitor", smtp_password_file=secret)

    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "hunter2"
    assert settings.masked()["TRIO_MONITOR_SMTP_PASSWORD"] == "********"


def test_it_masks_webhook_secrets_in_the_printed_configuration() -> None:
    settings = load_settings(notify_channels=channels(mail(), hook()), **SMTP)

    shown = json.loads(settings.masked()["TRIO_MONITOR_NOTIFY_CHANNELS"])

    assert shown[1]["url"] == "https://example.webhook.office.com/…"
    assert shown[0] == mail()


def test_production_refuses_unencrypted_smtp_to_a_remote_host() -> None:
    remote = load_settings(
        mode="production", notify_channels=channels(mail()), smtp_security="none", **SMTP
    )
    [problem] = remote.production_problems()
    assert problem.startswith("TRIO_MONITOR_SMTP_SECURITY=none would send alerts")
    assert "smtp.example.se" in problem

    local = load_settings(
        mode="production",
        notify_channels=channels(mail()),
        smtp_security="none",
        smtp_host="127.0.0.1",
        smtp_from="monitor@example.se",
    )
    assert local.production_problems() == []  # a relay on this host
    assert (
        load_settings(
            mode="production", notify_channels=channels(mail()), smtp_security="starttls", **SMTP
        ).production_problems()
        == []
    )


def test_production_refuses_a_webhook_over_plain_http_to_a_remote_host() -> None:
    plain = load_settings(notify_channels=channels(hook(url="http://chat.example.se/h/s3cr3t")))

    [problem] = plain.production_problems()

    assert "webhook 'ops-teams' uses plain http to a remote host" in problem
    assert "s3cr3t" not in problem
    local = load_settings(notify_channels=channels(hook(url="http://127.0.0.1:9000/h/s3cr3t")))
    assert local.production_problems() == []


# -- channels built from settings ---------------------------------------------------------


def test_it_builds_the_configured_channels() -> None:
    async def transport(url: str, body: bytes, headers: Any) -> int:
        raise AssertionError("not called")

    settings = load_settings(
        notify_channels=channels(mail(recipients=["a@example.se", "b@example.se"]), hook()),
        smtp_port=465,
        smtp_security="tls",
        smtp_username="monitor",
        smtp_password="pw",
        smtp_timeout_s=7,
        **SMTP,
    )

    built = build_channels(settings, transport)

    email, webhook = built["ops-mail"], built["ops-teams"]
    assert isinstance(email, EmailChannel) and isinstance(webhook, WebhookChannel)
    assert (email.host, email.port, email.security.value) == ("smtp.example.se", 465, "tls")
    assert (email.username, email.sender) == ("monitor", "monitor@example.se")
    assert email.recipients == ("a@example.se", "b@example.se") and email.timeout_s == 7
    assert (webhook.url, webhook.format) == (HOOK, WebhookFormat.TEAMS)
