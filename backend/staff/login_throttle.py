"""Staff login throttling (登录限速): progressive delays per username *and* client, no lockout lever.

A hard lock per username let anyone who knew ``credit.admin`` keep it locked with five requests
every 15 minutes, and answering 429 only for existing names told outsiders which names exist.
Instead, failures are counted per (username, client address) in the key-value store: the first
``FREE_FAILURES`` cost nothing, then each further failure makes that pair wait 2, 4, 8 … seconds
(at most ``MAX_DELAY``) before its next try is even checked. An outsider slows only their own
guesses; the owner, from their own client, logs in as usual, and existing sessions never notice.
The counting is the same for unknown and known names, so nothing here tells them apart.

Failures per username across all clients are counted too: at ``ALERT_AFTER`` within an hour the
credit office gets an audit entry (``staff.login_attack``).

Wrong *current* passwords typed into the password change count here too, under the same
(username, client) pair (:func:`backend.staff.services.change_password`): a stolen session cannot
guess the password faster than a login could.

A store outage means no throttling (logged): the login rate limit per client address still holds.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from backend.platform.errors import DomainError, TooManyRequests

log = logging.getLogger(__name__)

FREE_FAILURES = 3
MAX_DELAY = 300  # seconds
FAILURE_WINDOW = 15 * 60  # a pair's failures are forgotten after this long without success
ALERT_AFTER = 20  # failures of one username, all clients, within ALERT_WINDOW
ALERT_WINDOW = 3600


def _digest(value: str) -> str:
    # Usernames typed by strangers may be anything (an ID number too): keys hold digests only.
    return hashlib.sha256(value.encode()).hexdigest()[:24]


def throttled(seconds: int) -> DomainError:
    """429 ``login_throttled`` with ``Retry-After``: the same answer for every username."""
    return TooManyRequests(
        "login_throttled",
        f"登录尝试过于频繁，请{max(1, seconds)}秒后再试。",
        headers={"Retry-After": str(max(1, seconds))},
    )


class LoginThrottle:
    """Failure counts and waits in ``store`` (``backend.platform.store``: Redis or in-process)."""

    def __init__(self, store) -> None:
        self.store = store

    @staticmethod
    def _pair(username: str, client: str | None) -> str:
        return _digest(f"{username}\x00{client or '-'}")

    def wait_seconds(self, username: str, client: str | None) -> int:
        """Seconds this (username, client) must still wait; 0 if it may try now."""
        try:
            raw = self.store.get(f"stafflogin:until:{self._pair(username, client)}")
        except Exception:
            log.warning("login throttle unavailable (read)", exc_info=True)
            return 0
        if not raw:
            return 0
        return max(0, math.ceil(float(raw) - time.time()))

    def delay_after(self, failures: int) -> int:
        return 0 if failures <= FREE_FAILURES else min(2 ** (failures - FREE_FAILURES), MAX_DELAY)

    def failed(self, username: str, client: str | None) -> tuple[int, int]:
        """Count a failure; ``(seconds to wait now, failures of this username in the alert window)``."""
        pair = self._pair(username, client)
        try:
            failures = self.store.incr(f"stafflogin:fail:{pair}", ttl=FAILURE_WINDOW)
            delay = self.delay_after(failures)
            if delay:
                self.store.set(f"stafflogin:until:{pair}", f"{time.time() + delay:.3f}", ttl=delay)
            return delay, self.attempted(username)
        except Exception:
            log.warning("login throttle unavailable (count)", exc_info=True)
            return 0, 0

    def attempted(self, username: str) -> int:
        """Count a refused attempt of ``username`` from any client; the count in the alert window."""
        try:
            return self.store.incr(f"stafflogin:user:{_digest(username)}", ttl=ALERT_WINDOW)
        except Exception:
            log.warning("login throttle unavailable (count)", exc_info=True)
            return 0

    def succeeded(self, username: str, client: str | None) -> None:
        pair = self._pair(username, client)
        try:
            self.store.delete(f"stafflogin:fail:{pair}", f"stafflogin:until:{pair}")
        except Exception:
            log.warning("login throttle unavailable (reset)", exc_info=True)
