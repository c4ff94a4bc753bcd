"""PostgreSQL ``LISTEN``: hear that another process appended, the moment its commit lands.

Every PostgreSQL write transaction sends ``NOTIFY ledger_log`` together with its append lock
(``PostgresBackend.lock_for_append``); PostgreSQL delivers it at commit, and drops it on
rollback. A listener holds one autocommit connection of its own in a daemon thread and calls
``on_notify`` for each notification; a lost connection is reopened after a short pause (the
feed's polling fallback covers the gap).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

CHANNEL = "ledger_log"
RECONNECT_SECONDS = 1.0
log = logging.getLogger("ledger.store.notify")


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq takes it (no ``+driver``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class LogListener:
    """Calls ``on_notify`` whenever a transaction that notified ``ledger_log`` commits."""

    def __init__(self, url: str, on_notify: Callable[[], None]) -> None:
        self._url = libpq_url(url)
        self._on_notify = on_notify
        self._stop = threading.Event()
        self._connection: psycopg.Connection[object] | None = None
        self._thread = threading.Thread(target=self._run, name="ledger-listen", daemon=True)
        self.listening = threading.Event()

    def start(self) -> LogListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                self.listening.clear()
                log.warning("LISTEN %s lost (%s); reconnecting", CHANNEL, type(error).__name__)
                self._stop.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(self._url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            while not self._stop.is_set():
                for _ in connection.notifies(timeout=0.5):
                    self._on_notify()
