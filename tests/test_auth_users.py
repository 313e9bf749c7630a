"""auth.passwords, auth.users and their storage (storage._users): hashing, users, lockout."""

from __future__ import annotations

import pytest
from passlib.hash import pbkdf2_sha256
from sqlalchemy.engine import Engine

import auth
from auth import (
    AuthConfig,
    AuthStatus,
    InvalidUsername,
    Role,
    UnknownUser,
    UserExists,
    WeakPassword,
    add_user,
    authenticate,
    disable_user,
    enable_user,
    get_user,
    list_users,
    passwords,
    set_password,
    set_role,
)
from storage import StorageUnavailable, UserStore, make_engine, ping

T0_MS = 1_700_000_000_000
MINUTE_MS = 60_000
PASSWORD = "correct horse battery"
CONFIG = AuthConfig(secret_key="k" * 32)


def clock_at(ms: int):
    return lambda: ms / 1000


def login(engine: Engine, username: str, password: str = PASSWORD, *, at_ms: int = T0_MS,
          addr: str = "10.0.0.1", config: AuthConfig = CONFIG) -> auth.AuthResult:
    return authenticate(engine, username, password, addr, at_ms, config)


# -- passwords --------------------------------------------------------------------------


def test_it_hashes_new_passwords_with_argon2id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real parameters, once
    assert passwords.CONTEXT.default_scheme() == "argon2"
    assert passwords.hash_password(PASSWORD).startswith("$argon2id$")


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "too short"), (" " * 12, "whitespace"), ("x" * 1025, "too long")],
)
def test_it_refuses_weak_passwords_with_a_reason(password: str, reason: str) -> None:
    with pytest.raises(WeakPassword, match=reason):
        passwords.hash_password(password)


def test_it_verifies_a_dummy_hash_for_unknown_users(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = passwords.CONTEXT.verify_and_update

    def spy(secret: str, stored: str) -> tuple[bool, str | None]:
        calls.append(stored)
        return real(secret, stored)

    monkeypatch.setattr(passwords.CONTEXT, "verify_and_update", spy)

    result = login(engine, "nobody")

    assert result.status is AuthStatus.INVALID
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


# -- user management --------------------------------------------------------------------


def test_it_adds_a_user_with_a_normalised_name(engine: Engine) -> None:
    user = add_user(engine, "  Anna.Berg@Example.se ", PASSWORD, Role.ADMIN,
                    clock=clock_at(T0_MS))

    assert user.username == "anna.berg@example.se"
    assert user.role is Role.ADMIN and not user.disabled
    assert user.created_at_ms == T0_MS and user.last_login_at_ms is None
    assert [u.username for u in list_users(engine)] == ["anna.berg@example.se"]


@pytest.mark.parametrize("name", ["", "a" * 65, "anna berg", "anna/berg", "åsa"])
def test_it_refuses_invalid_usernames(engine: Engine, name: str) -> None:
    with pytest.raises(InvalidUsername, match="a-z, 0-9"):
        add_user(engine, name, PASSWORD, Role.VIEWER)


def test_it_refuses_a_second_user_with_the_same_name(engine: Engine) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)
    with pytest.raises(UserExists, match="'anna' already exists"):
        add_user(engine, "ANNA", PASSWORD, Role.ADMIN)


def test_it_refuses_an_unknown_role(engine: Engine) -> None:
    with pytest.raises(ValueError, match="use viewer, supervisor or admin"):
        add_user(engine, "anna", PASSWORD, "root")


def test_it_says_which_user_is_unknown(engine: Engine) -> None:
    for change in (
        lambda: set_password(engine, "ghost", PASSWORD),
        lambda: disable_user(engine, "ghost"),
        lambda: enable_user(engine, "ghost"),
        lambda: set_role(engine, "ghost", Role.ADMIN),
    ):
        with pytest.raises(UnknownUser, match="'ghost'"):
            change()


def test_it_lists_users_by_name_and_changes_roles(engine: Engine) -> None:
    add_user(engine, "bo", PASSWORD, Role.VIEWER)
    add_user(engine, "anna", PASSWORD, Role.VIEWER)

    set_role(engine, "bo", "admin")

    assert [(u.username, u.role) for u in list_users(engine)] == [
        ("anna", Role.VIEWER), ("bo", Role.ADMIN)]


def test_it_orders_roles() -> None:
    assert Role.ADMIN.allows(Role.VIEWER) and Role.ADMIN.allows(Role.ADMIN)
    assert Role.VIEWER.allows(Role.VIEWER) and not Role.VIEWER.allows(Role.ADMIN)


# -- authenticate -----------------------------------------------------------------------


def test_it_logs_in_with_the_right_password_in_any_case(engine: Engine) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)

    result = login(engine, " Anna ", at_ms=T0_MS + 5)

    assert result.status is AuthStatus.OK and result.user is not None
    assert result.user.username == "anna" and result.session_version == 1
    assert get_user(engine, "anna").last_login_at_ms == T0_MS + 5


def test_it_refuses_a_wrong_password_and_records_the_failure(engine: Engine) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)

    result = login(engine, "anna", "wrong password!")

    assert result.status is AuthStatus.INVALID and result.user is None
    assert UserStore(engine).failures_for_username("anna", 0).count == 1


def test_it_rehashes_a_pbkdf2_hash_on_login(engine: Engine) -> None:
    user = add_user(engine, "anna", PASSWORD, Role.VIEWER)
    store = UserStore(engine)
    store.set_password_hash(user.id, pbkdf2_sha256.hash(PASSWORD), T0_MS, end_sessions=False)

    assert login(engine, "anna").ok

    row = store.get(user.id)
    assert row is not None and row.password_hash.startswith("$argon2id$")
    assert row.session_version == 1  # a rehash does not end sessions
    assert login(engine, "anna", at_ms=T0_MS + 1).ok


def test_it_locks_an_account_after_five_failures_for_fifteen_minutes(engine: Engine) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)
    for i in range(5):
        assert login(engine, "anna", "wrong password!", at_ms=T0_MS + i * MINUTE_MS).status \
            is AuthStatus.INVALID
    latest = T0_MS + 4 * MINUTE_MS

    locked = login(engine, "anna", at_ms=latest + 14 * MINUTE_MS)
    assert locked.status is AuthStatus.LOCKED
    assert locked.retry_after_s == pytest.approx(60)

    assert login(engine, "anna", at_ms=latest + 15 * MINUTE_MS).ok


def test_it_does_not_extend_the_lock_with_refused_attempts(engine: Engine) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)
    for _ in range(5):
        login(engine, "anna", "wrong password!")
    for minute in range(1, 15):
        assert login(engine, "anna", "wrong password!", at_ms=T0_MS + minute * MINUTE_MS) \
            .status is AuthStatus.LOCKED

    assert login(engine, "anna", at_ms=T0_MS + 15 * MINUTE_MS).ok


def test_it_does_not_lock_when_failures_are_spread_over_more_than_the_window(
    engine: Engine,
) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)
    for i in range(6):
        login(engine, "anna", "wrong password!", at_ms=T0_MS + i * 4 * MINUTE_MS)

    assert login(engine, "anna", at_ms=T0_MS + 21 * MINUTE_MS).ok


def test_it_locks_unknown_names_exactly_like_known_ones(engine: Engine) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)
    for name in ("anna", "ghost"):
        for _ in range(5):
            assert login(engine, name, "wrong password!").status is AuthStatus.INVALID
        assert login(engine, name, at_ms=T0_MS + 1).status is AuthStatus.LOCKED


def test_it_clears_an_accounts_failures_on_success(engine: Engine) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)
    for _ in range(4):
        login(engine, "anna", "wrong password!")
    assert login(engine, "anna", at_ms=T0_MS + 1).ok

    for _ in range(4):
        login(engine, "anna", "wrong password!", at_ms=T0_MS + 2)
    assert login(engine, "anna", at_ms=T0_MS + 3).ok


def test_it_rate_limits_an_address_that_fails_too_often(engine: Engine) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)
    config = AuthConfig(secret_key="k" * 32, addr_max_failures=6)
    for i in range(6):  # different names: no account reaches its own limit
        login(engine, f"guess{i}", "wrong password!", addr="203.0.113.9", config=config)

    limited = login(engine, "anna", addr="203.0.113.9", config=config, at_ms=T0_MS + 1)
    assert limited.status is AuthStatus.RATE_LIMITED
    assert login(engine, "anna", addr="10.0.0.2", config=config, at_ms=T0_MS + 1).ok
    assert login(engine, "anna", addr="203.0.113.9", config=config,
                 at_ms=T0_MS + 15 * MINUTE_MS).ok


def test_it_refuses_a_disabled_user_until_enabled(engine: Engine) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)
    disable_user(engine, "anna")

    assert login(engine, "anna").status is AuthStatus.DISABLED
    assert login(engine, "anna", "wrong password!").status is AuthStatus.INVALID

    enable_user(engine, "anna")
    assert login(engine, "anna", at_ms=T0_MS + 1).ok


def test_it_logs_in_with_a_changed_password_only(engine: Engine) -> None:
    add_user(engine, "anna", PASSWORD, Role.VIEWER)

    set_password(engine, "anna", "a brand new secret")

    assert login(engine, "anna").status is AuthStatus.INVALID
    result = login(engine, "anna", "a brand new secret", at_ms=T0_MS + 1)
    assert result.ok and result.session_version == 2


def test_it_refuses_a_corrupt_stored_hash(engine: Engine) -> None:
    user = add_user(engine, "anna", PASSWORD, Role.VIEWER)
    UserStore(engine).set_password_hash(user.id, "not-a-hash", T0_MS, end_sessions=False)

    assert login(engine, "anna").status is AuthStatus.INVALID


# -- storage ----------------------------------------------------------------------------


def test_it_counts_and_prunes_failures(engine: Engine) -> None:
    store = UserStore(engine)
    store.record_failure("anna", "10.0.0.1", T0_MS)
    store.record_failure("anna", "10.0.0.2", T0_MS + 10)
    store.record_failure("bo", "10.0.0.1", T0_MS + 20)

    assert store.failures_for_username("anna", T0_MS).count == 2
    assert store.failures_for_username("anna", T0_MS + 1).latest_ms == T0_MS + 10
    assert store.failures_for_address("10.0.0.1", T0_MS).count == 2
    assert store.failures_for_address("10.0.0.9", T0_MS).latest_ms is None

    assert store.prune_failures(T0_MS + 15) == 2
    assert store.failures_for_username("bo", 0).count == 1
    assert store.clear_failures("bo") == 1


def test_it_returns_none_when_creating_a_taken_username(engine: Engine) -> None:
    store = UserStore(engine)
    assert store.create("anna", "h", "viewer", T0_MS) is not None
    assert store.create("anna", "h", "viewer", T0_MS) is None


def test_it_pings_a_live_database(engine: Engine) -> None:
    ping(engine)


def test_it_says_when_a_ping_cannot_reach_the_database() -> None:
    engine = make_engine("postgresql://u@127.0.0.1:1/trio", connect_timeout_s=1)
    try:
        with pytest.raises(StorageUnavailable, match="unreachable at 127.0.0.1:1"):
            ping(engine)
    finally:
        engine.dispose()
