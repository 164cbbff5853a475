"""Each person's notification settings (defaults without a row) and their digest times."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa

from ..accounts.models import User
from ..core.extensions import db
from ..core.models import utcnow
from ..core.tokens import digest, new_secret
from ..core.transaction import flush
from .kinds import DEFAULT_DIGEST_HOUR, DEFAULT_MODES, DEFAULT_TIME_ZONE, DEFAULT_WEEKLY_DAY, KIND_CODES, MODE_CODES
from .models import NotificationSettings


class SettingsError(ValueError):
    """A notification setting that cannot be stored; the message says why."""


@dataclass
class Preferences:
    modes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MODES))
    time_zone: str = DEFAULT_TIME_ZONE
    digest_hour: int = DEFAULT_DIGEST_HOUR
    weekly_day: int = DEFAULT_WEEKLY_DAY
    follow_when_affected: bool = True

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.time_zone)

    @classmethod
    def of(cls, row: NotificationSettings | None) -> Preferences:
        if row is None:
            return cls()
        return cls(
            modes={kind: getattr(row, f"{kind}_mode") or DEFAULT_MODES[kind] for kind in KIND_CODES},
            time_zone=row.time_zone or DEFAULT_TIME_ZONE,
            digest_hour=row.digest_hour,
            weekly_day=row.weekly_day,
            follow_when_affected=row.follow_when_affected,
        )


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


@lru_cache(maxsize=1)
def time_zone_names() -> list[str]:
    """Region/City zones people pick from (not the legacy aliases)."""
    return sorted(
        name for name in available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posixrules"))
    ) + ["UTC"]


def preferences_for(user_ids) -> dict[int, Preferences]:
    """Preferences of many people in one query; those without a row get the defaults."""
    ids = list(user_ids)
    rows = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        rows.update({
            row.user_id: row
            for row in db.session.scalars(sa.select(NotificationSettings).where(NotificationSettings.user_id.in_(chunk)))
        })
    return {user_id: Preferences.of(rows.get(user_id)) for user_id in ids}


def settings_row(user: User) -> NotificationSettings:
    """The person's settings row, made with the defaults (and flushed) if they have none."""
    row = db.session.get(NotificationSettings, user.id)
    if row is None:
        row = NotificationSettings(
            user_id=user.id,
            time_zone=DEFAULT_TIME_ZONE,
            digest_hour=DEFAULT_DIGEST_HOUR,
            weekly_day=DEFAULT_WEEKLY_DAY,
            follow_when_affected=True,
            **{f"{kind}_mode": mode for kind, mode in DEFAULT_MODES.items()},
        )
        db.session.add(row)
        db.session.flush()
    return row


def save_preferences(user: User, data: dict, *, now: datetime | None = None) -> NotificationSettings:
    """Store what the person chose; pending digest items move to the new digest times."""
    now = now or utcnow()
    for kind in KIND_CODES:
        if data.get(kind) not in MODE_CODES:
            raise SettingsError(f"Choose how to hear about {kind.replace('_', ' ')}.")
    if data.get("time_zone") not in time_zone_names():
        raise SettingsError("Choose a time zone from the list, e.g. Europe/London.")
    if not isinstance(data.get("digest_hour"), int) or not 0 <= data["digest_hour"] <= 23:
        raise SettingsError("Choose the hour for digests, 00:00 to 23:00.")
    if not isinstance(data.get("weekly_day"), int) or not 0 <= data["weekly_day"] <= 6:
        raise SettingsError("Choose the day for the weekly digest.")
    row = settings_row(user)
    for kind in KIND_CODES:
        setattr(row, f"{kind}_mode", data[kind])
    row.time_zone = data["time_zone"]
    row.digest_hour = data["digest_hour"]
    row.weekly_day = data["weekly_day"]
    row.follow_when_affected = bool(data.get("follow_when_affected"))
    row.updated_at = now
    db.session.flush()
    from .outbox import reschedule_digests

    reschedule_digests(user.id, Preferences.of(row), now=now)
    return row


def new_feed_key(user: User, *, now: datetime | None = None) -> str:
    """A fresh personal feed key, to show once; the previous one stops working."""
    row = settings_row(user)
    key, row.feed_key_hash = new_secret()
    row.feed_key_created_at = now or utcnow()
    db.session.flush()
    return key


def revoke_feed_key(user: User) -> None:
    row = settings_row(user)
    row.feed_key_hash = None
    row.feed_key_created_at = None
    db.session.flush()


FEED_KEY = re.compile(r"^[A-Za-z0-9_-]{20,64}$")  # what secrets.token_urlsafe(32) makes


def unsubscribe(user: User, scope: str, target: str) -> None:
    """What an email's one-click unsubscribe asks (see tokens.py): stop following one issue
    (scope "issue"), one kind of news ("kind"), or every digest of one frequency ("digest")."""
    if scope == "issue":
        from ..issues.models import Issue
        from ..participation.follows import unfollow_issue

        issue = db.session.get(Issue, int(target))
        if issue is not None:
            unfollow_issue(user, issue)
        return
    row = settings_row(user)
    for kind in KIND_CODES:
        mode_attr = f"{kind}_mode"
        if (scope == "kind" and kind == target) or (scope == "digest" and getattr(row, mode_attr) == target):
            setattr(row, mode_attr, "off")
    flush()


def user_for_feed_key(key: str) -> User | None:
    if not key or not FEED_KEY.match(key):
        return None
    user = db.session.scalar(
        sa.select(User).join(NotificationSettings, NotificationSettings.user_id == User.id)
        .where(NotificationSettings.feed_key_hash == digest(key))
    )
    return user if user is not None and user.active else None


# ---------------------------------------------------------------- digest times


def _local(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """`hour`:00 on `day` in the zone, as UTC. A time skipped by a clock change (spring
    forward) falls an hour later in wall-clock terms; a repeated one is its first occurrence."""
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def next_digest_at(mode: str, prefs: Preferences, after: datetime) -> datetime:
    """The first daily or weekly digest time strictly after `after`, in the person's zone."""
    tz = prefs.zone
    today = after.astimezone(tz).date()
    if mode == "daily":
        for offset in range(0, 3):
            moment = _local(today + timedelta(days=offset), prefs.digest_hour, tz)
            if moment > after:
                return moment
    elif mode == "weekly":
        ahead = (prefs.weekly_day - today.weekday()) % 7
        for offset in (ahead, ahead + 7, ahead + 14):
            moment = _local(today + timedelta(days=offset), prefs.digest_hour, tz)
            if moment > after:
                return moment
    else:
        return after
    raise AssertionError("no digest time found")  # pragma: no cover - the loops always find one
