"""`flask --app issues_tracker worker [--burst]`: runs the background jobs."""

from __future__ import annotations

import click
from flask import Flask, current_app


def register_worker_cli(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
    @click.option("--threads", type=click.IntRange(1, 32), default=1, show_default=True,
                  help="Short jobs run at once by this worker (email, digests, upkeep).")
    @click.option("--slow-threads", type=click.IntRange(1, 32), default=1, show_default=True,
                  help="Long jobs run at once by this worker (renders, imports), beside the short ones.")
    def worker_command(burst: bool, threads: int, slow_threads: int) -> None:
        """Run background jobs (publishing the log, previews, imports, email) as they are queued."""
        from . import run_background_tasks, run_queued_jobs
        from .queue import FAST, SLOW, get_queue
        from .runner import sweep_jobs

        queue = get_queue(current_app._get_current_object())
        if burst:
            ran = run_queued_jobs()
            upkeep = run_background_tasks()
            click.echo(f"Ran {ran} job{'' if ran == 1 else 's'}" + (f" and {', '.join(upkeep)}" if upkeep else "")
                       + "; none is waiting.")
            return
        sweep_jobs()  # jobs left queued or abandoned while no worker ran
        click.echo(f"Worker running jobs from the {queue.backend} queue with {threads} thread"
                   f"{'' if threads == 1 else 's'} for short jobs and {slow_threads} for long ones; Ctrl+C stops it.")
        # Each lane has threads of its own: a render never holds up an email.
        slow = queue.consumer(slow_threads, SLOW)
        slow.start()
        try:
            queue.consumer(threads, FAST).run()  # handles SIGINT and SIGTERM
        finally:
            slow.stop(graceful=True)
