"""`flask worker`: the job queue's consumer, started beside gunicorn (one or more per host)."""

from __future__ import annotations

import click
from flask import current_app

from dealflow.jobs import consumer_options, queue_of


@click.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, help="Threads delivering mail and running jobs.")
@click.option("--no-periodic", is_flag=True, help="Leave the periodic jobs to another worker.")
def worker_command(workers: int, no_periodic: bool) -> None:
    """Deliver the outbox and run the periodic jobs until stopped (SIGINT to finish the tasks in hand)."""
    queue = queue_of(current_app)
    if queue.huey.immediate:
        raise click.ClickException("HUEY_URL is 'immediate': tasks run where they are queued, none wait here")
    options = consumer_options(workers)
    options["periodic"] = not no_periodic
    click.echo(f"Dealflow worker: {workers} thread(s) on queue {queue.huey.name!r}", err=True)
    queue.huey.create_consumer(**options).run()
