"""What a login refusal costs, by kind, with the real argon2id parameters. Run by hand.

    python bench/login.py [--rounds 20]

Builds the web app (auth + dashboard) on SQLite in a temporary folder and times POST
/login through Flask's test client for: a wrong password of a known user, an unknown
user, a password of 5000 characters (known and unknown user), a locked (name, address)
pair and a disabled user. Each kind gets its own client address, so only its own lock
applies. Prints median and p90 per kind: every refusal about an account should cost
about one password verification, so no kind stands out.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import flask

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import auth  # noqa: E402
import storage  # noqa: E402
from dashboard import DashboardConfig, create_dash  # noqa: E402

PASSWORD = "bench-password-long-enough"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = storage.make_engine(f"sqlite:///{folder}/bench.db")
        storage.upgrade(engine)
        auth.add_user(engine, "anna", PASSWORD, auth.Role.ADMIN)
        auth.add_user(engine, "dora", PASSWORD, auth.Role.VIEWER)
        auth.disable_user(engine, "dora")
        app = flask.Flask("bench")
        app.config["CSP_SCRIPT_HASHES"] = []
        # Limits high enough that only the lock under test applies.
        auth.install(app, engine, auth.AuthConfig(
            secret_key="bench-secret-key-of-enough-length-1234", addr_max_failures=10_000,
            account_lockout_failures=10_000))
        create_dash(app, engine, DashboardConfig())
        kinds = {
            "wrong password": ("anna", "wrong password!", "10.0.0.1"),
            "unknown user": ("nora", "wrong password!", "10.0.0.2"),
            "too long, known": ("anna", "x" * 5000, "10.0.0.3"),
            "too long, unknown": ("nora", "x" * 5000, "10.0.0.4"),
            "locked pair": ("anna", PASSWORD, "10.0.0.5"),
            "disabled user": ("dora", PASSWORD, "10.0.0.6"),
        }
        lock = app.test_client()
        lock.environ_base["REMOTE_ADDR"] = "10.0.0.5"
        for _ in range(5):
            _post(lock, "anna", "wrong password!")
        print(f"{'refusal':<20} {'status':>6} {'median ms':>10} {'p90 ms':>8}")
        for kind, (name, password, addr) in kinds.items():
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = addr
            times, statuses = [], set()
            for _ in range(args.rounds):
                token = _token(client)
                start = time.perf_counter()
                response = client.post("/login", data={"csrf_token": token, "username": name,
                                                       "password": password})
                times.append((time.perf_counter() - start) * 1000)
                statuses.add(response.status_code)
            times.sort()
            p90 = times[int(len(times) * 0.9) - 1]
            print(f"{kind:<20} {'/'.join(map(str, sorted(statuses))):>6} "
                  f"{statistics.median(times):>10.1f} {p90:>8.1f}")
        engine.dispose()


def _token(client: flask.testing.FlaskClient) -> str:
    found = CSRF.search(client.get("/login").get_data(as_text=True))
    assert found is not None
    return found.group(1)


def _post(client: flask.testing.FlaskClient, name: str, password: str) -> None:
    client.post("/login", data={"csrf_token": _token(client), "username": name,
                                "password": password})


if __name__ == "__main__":
    main()
