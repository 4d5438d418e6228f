"""HubSpot's API limits for a private app: a ten-second rolling window (190 for Professional /
Enterprise), a daily allowance, and a separate per-second limit for CRM search (5/s), which is
exempt from the ten-second window. Time comes from the sandbox clock, so a test can advance it."""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass


@dataclass
class LimitSettings:
    ten_second_max: int = 190
    search_per_second: int = 5
    daily_max: int = 1_000_000
    enabled: bool = True


class RateLimiter:
    WINDOW_MS = 10_000

    def __init__(self, clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self, *, settings: bool = True) -> None:
        with self._lock:
            if settings:
                self.settings = LimitSettings()
            self._window: deque[float] = deque()
            self._search: deque[float] = deque()
            self._day: str | None = None
            self._daily_used = 0

    def configure(self, **values) -> dict:
        with self._lock:
            for key, value in values.items():
                if value is None:
                    continue
                if not hasattr(self.settings, key):
                    raise ValueError(f"unknown limit {key!r}")
                setattr(self.settings, key, bool(value) if key == "enabled" else int(value))
            return self.snapshot_locked()

    def snapshot_locked(self) -> dict:
        return {"ten_second_max": self.settings.ten_second_max,
                "search_per_second": self.settings.search_per_second,
                "daily_max": self.settings.daily_max, "enabled": self.settings.enabled,
                "daily_used": self._daily_used}

    def _now_ms(self) -> float:
        return self.clock.now().timestamp() * 1000

    def _roll_day(self) -> None:
        day = self.clock.now().date().isoformat()
        if day != self._day:
            self._day, self._daily_used = day, 0

    def hit(self, *, search: bool) -> str | None:
        """Count one call; return the exhausted policy ("TEN_SECONDLY_ROLLING", "SECONDLY",
        "DAILY") or None when the call may proceed."""
        with self._lock:
            if not self.settings.enabled:
                return None
            now = self._now_ms()
            self._roll_day()
            if self._daily_used >= self.settings.daily_max:
                return "DAILY"
            if search:
                while self._search and self._search[0] <= now - 1000:
                    self._search.popleft()
                if len(self._search) >= self.settings.search_per_second:
                    return "SECONDLY"
                self._search.append(now)
            else:
                while self._window and self._window[0] <= now - self.WINDOW_MS:
                    self._window.popleft()
                if len(self._window) >= self.settings.ten_second_max:
                    return "TEN_SECONDLY_ROLLING"
                self._window.append(now)
            self._daily_used += 1
            return None

    def headers(self) -> dict[str, str]:
        """The headers HubSpot puts on (non-search) responses to private-app calls."""
        with self._lock:
            now = self._now_ms()
            while self._window and self._window[0] <= now - self.WINDOW_MS:
                self._window.popleft()
            return {
                "X-HubSpot-RateLimit-Daily": str(self.settings.daily_max),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.settings.daily_max
                                                               - self._daily_used)),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.WINDOW_MS),
                "X-HubSpot-RateLimit-Max": str(self.settings.ten_second_max),
                "X-HubSpot-RateLimit-Remaining": str(max(0, self.settings.ten_second_max
                                                         - len(self._window))),
            }
