"""`flask seed`: the forum pack's seed data, and generated issues and service-desk records."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click
from flask import Flask, current_app

from ..core.transaction import unit_of_work


def register_cli(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--synthetic", type=click.IntRange(min=1, max=1_000_000), default=None,
                  help="Add N generated issues, with history, for benchmarks and demos.")
    @click.option("--random-seed", type=int, default=2026, show_default=True,
                  help="Seed for the generator: the same seed gives the same issues.")
    @click.option("--servicedesk", "servicedesk_records", type=click.IntRange(min=1, max=2_000_000), default=None,
                  help="Add N generated service-desk records (cases and incidents) over the years before now.")
    @click.option("--servicedesk-years", type=click.IntRange(min=1, max=10), default=3, show_default=True,
                  help="How many years the generated service-desk records span.")
    def seed_command(synthetic: int | None, random_seed: int, servicedesk_records: int | None,
                     servicedesk_years: int) -> None:
        """Load the forum pack's tracker rows, forum dates, actions and feedback poll."""
        from ..core.formats import LONDON
        from .current import seed_current
        from .loader import DEMO_PASSWORD, seed_all

        demo = bool(current_app.config.get("DEMO_ACCOUNTS"))
        started = time.monotonic()
        with unit_of_work():
            counts = seed_all(demo_accounts=demo)
        today = datetime.now(UTC).astimezone(LONDON).date()
        # Brought up to today: the service desk since the pack, this month's forum, the last Monday logs.
        with unit_of_work():
            current = seed_current(today)
        added = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
        recent = ", ".join(f"{n} {what}" for what, n in current.items() if n)
        if added or recent:
            click.echo(f"Seed data loaded: {', '.join(part for part in (added, recent) if part)} "
                       f"(current to {today:%d %b %Y}; {time.monotonic() - started:.1f} s).")
        else:
            click.echo(f"Seed data already loaded and current to {today:%d %b %Y}; nothing changed.")
        if demo and counts["accounts"]:
            click.echo(f"Demo accounts (password {DEMO_PASSWORD!r}): admin@example.org, staff@example.org, "
                       "participant@supplier.example, participant@distributor.example")
        if synthetic:
            from ..issues.synthetic import analyse_tables, generate

            with unit_of_work():
                made = generate(synthetic, random_seed=random_seed, progress=True)
            analyse_tables()
            click.echo(f"Added {made} synthetic issues (random seed {random_seed}).")
        if servicedesk_records:
            from ..servicedesk.synthetic import analyse_tables as analyse_servicedesk_tables
            from ..servicedesk.synthetic import generate_records

            with unit_of_work():
                outcome = generate_records(servicedesk_records, years=servicedesk_years, random_seed=random_seed,
                                           progress=True)
            analyse_servicedesk_tables()
            years = f"{servicedesk_years} year{'' if servicedesk_years == 1 else 's'}"
            click.echo(f"Added {outcome.added:,} synthetic service-desk records over {years} (random seed {random_seed}).")
