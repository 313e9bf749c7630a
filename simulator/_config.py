"""The simulator's settings."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from simulator._fleet import Fleet, default_names
from simulator._model import Behaviour, ContactCenter
from simulator._types import FieldTypes

DEFAULT_CLIENT_KEY = "c2ltLWNsaWVudC1rZXk="
DEFAULT_USERNAME = "monitor"
DEFAULT_PASSWORD = "sim-pässword"  # a test fixture's login, not a product secret
BINARY_VERSION = "8.2.0.0"  # the vendor manual covers Trio Enterprise 8.2
SUPPORTED_CHARSETS = ("utf-8", "iso-8859-1")


@dataclass
class SimulatorConfig:
    """Everything the two simulated TE API servers need.

    `clock` returns epoch seconds; it drives the contact-center model and token expiry,
    so tests can move time instead of sleeping. Ports of 0 pick free ones.
    """

    host: str = "127.0.0.1"
    port: int = 0
    secondary_port: int = 0
    queues: int = 8
    agents: int = 40
    seed: int = 1
    client_key: str = DEFAULT_CLIENT_KEY
    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    token_lifetime_s: float = 3600.0
    refresh_lifetime_s: float = 2592000.0
    max_page_size: int = 100
    charset: str = "utf-8"
    warmup_s: float = 3600.0
    clock: Callable[[], float] = field(default=time.time)
    # Fake workers and reconcilers served by the primary: `worker-1..N`,
    # `reconciler-1..N`, unless names are given.
    workers: int = 4
    reconcilers: int = 1
    worker_names: tuple[str, ...] | None = None
    reconciler_names: tuple[str, ...] | None = None
    # The third loopback server, standing for a host nobody announced (the `redirect`
    # fault with `to: foreign` points there); it records every request it receives.
    foreign_port: int = 0
    # TLS per server (None: plain http). Tests use them for https->http downgrades.
    primary_tls: ssl.SSLContext | None = None
    secondary_tls: ssl.SSLContext | None = None
    # What `GET /te/api` announces as `primaryServer` / `secondaryServer`: bare host
    # names, as a real server does (default: `host`). A client adds scheme and port.
    primary_server_name: str | None = None
    secondary_server_name: str | None = None
    # How typed fields are rendered (open as 0/1, states as codes, zone-less times).
    field_types: FieldTypes = field(default_factory=FieldTypes)
    # Agent and caller behaviour of the model built at start (None: the defaults, which
    # the tests pin values on; the demo adds surges).
    behaviour: Behaviour | None = None
    # A model built and advanced by the caller (the demo's, after filling its history
    # from it), served instead of building one; queues, agents, seed, warmup_s and
    # behaviour are then not used for the model.
    model: ContactCenter | None = None
    # Likewise a fleet of workers and reconcilers (the demo's, after filling its drift
    # and health history from it); workers, reconcilers and their names are then its.
    fleet: Fleet | None = None

    def __post_init__(self) -> None:
        self.charset = self.charset.lower()
        if self.charset not in SUPPORTED_CHARSETS:
            raise ValueError(f"charset must be one of {SUPPORTED_CHARSETS}, not {self.charset!r}")
        if self.queues < 1 or self.agents < 0:
            raise ValueError("queues must be >= 1 and agents >= 0")
        if self.max_page_size < 1:
            raise ValueError("max_page_size must be >= 1")
        if self.workers < 0 or self.reconcilers < 0:
            raise ValueError("workers and reconcilers must be >= 0")
        self.worker_names = default_names("worker", self.workers, self.worker_names)
        self.reconciler_names = default_names("reconciler", self.reconcilers, self.reconciler_names)
