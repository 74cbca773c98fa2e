"""Flask commands: demo data, accounts, reference data, files, alerts and the evidence ledger."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from dealflow import audit, demo
from dealflow.auth import services as accounts
from dealflow.billing import errors as billing_errors
from dealflow.billing import gateway as billing_gateway
from dealflow.billing import subscriptions as billing_subscriptions
from dealflow.evidence import checkpoints, opendata, signing, verification
from dealflow.extensions import db
from dealflow.investors import services as investor_services
from dealflow.jobs.cli import worker_command
from dealflow.models import Role, utcnow
from dealflow.reference.services import sync_reference_data
from dealflow.startups import pruning

users_cli = AppGroup("users", help="Manage accounts.")
reference_cli = AppGroup("reference", help="Reference data: regions, sectors, stages.")
files_cli = AppGroup("files", help="Uploaded logos and pitch decks.")


@files_cli.command("prune")
@click.option("--hours", default=24, show_default=True, help="Keep uploads younger than this.")
def prune_files_command(hours: int) -> None:
    """Delete uploads left behind by abandoned forms now (the job worker does it daily)."""
    plan = pruning.plan_pruning(utcnow() - timedelta(hours=hours))
    db.session.commit()
    pruning.unlink(plan)
    click.echo(f"Deleted {len(plan.keys)} unattached uploads.")


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Only seed when the database has no users yet.")
def seed_demo_command(if_empty: bool) -> None:
    """Load demo users, hubs and startups (idempotent) and print the demo logins."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo refuses to run in production: demo accounts share one known password")
    if if_empty and demo.database_has_users():
        click.echo("The database already has users: demo data not loaded.")
        return
    report = demo.seed_demo()
    db.session.commit()
    for kind, count in report.created.items():
        click.echo(f"{kind}: {count} created, {report.kept[kind]} already there")
    click.echo(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
    for spec in demo.DEMO_USERS:
        click.echo(f"  {spec.role.value:<10} {spec.email}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(email: str, name: str, role: str, password: str) -> None:
    """Create an account of any role, e.g. the first admin."""
    try:
        user = accounts.create_user(email=email, password=password, name=name, role=Role(role), verified=True)
    except accounts.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@reference_cli.command("sync")
def sync_reference_command() -> None:
    """Insert or correct regions, sectors and stages."""
    with db.engine.begin() as connection:
        changed = sync_reference_data(connection)
    click.echo(f"Reference data in place ({changed} rows changed).")


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(reference_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(alerts_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(billing_cli)
    app.cli.add_command(worker_command)


alerts_cli = AppGroup("alerts", help="Saved-search alerts.")


@alerts_cli.command("send")
def send_alerts_command() -> None:
    """Email each investor the startups newly matching their saved searches now (the job worker does it hourly)."""
    emails, startups = investor_services.send_alerts()
    db.session.commit()
    click.echo(f"Sent {emails} alert emails listing {startups} startups.")


ledger_cli = AppGroup(
    "ledger", help="The evidence ledger: verify it, sign checkpoints, register witnesses, export the open data."
)


@ledger_cli.command("verify")
@click.pass_context
def verify_ledger_command(ctx: click.Context) -> None:
    """Recompute chain, tree, checkpoints, time order and rollups in one snapshot: exit 0, or 1 naming what broke."""
    report = verification.verify_ledger()
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        ctx.exit(1)


@ledger_cli.command("export")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Directory to write to.")
def export_ledger_command(out: Path) -> None:
    """Write the open data (events with hashes, suppressed aggregates, head) and verify.py to a directory."""
    head = opendata.export_open_data(out)
    audit.record("ledger.export", actor=None, details={"events": head.event_count, "head_hash": head.head_hash})
    db.session.commit()
    click.echo(f"Exported {head.event_count} events (head hash {head.head_hash}) to {out}")
    click.echo(f"Check them with: python3 {out / 'verify.py'}")


@ledger_cli.command("checkpoint")
@click.option("--if-due", is_flag=True, help="Only if the tree grew and the last one is old enough (for cron).")
def checkpoint_command(if_due: bool) -> None:
    """Sign a checkpoint of the tree as it is now, and print it (the periodic job calls issue_checkpoint_if_due)."""
    checkpoint = checkpoints.issue_checkpoint_if_due() if if_due else checkpoints.issue_checkpoint()
    db.session.commit()
    if checkpoint is None:
        click.echo("No checkpoint due: the tree has not grown, or the last one is recent.")
        return
    click.echo(checkpoint.note, nl=False)


@ledger_cli.command("add-witness")
@click.option("--name", required=True, help="The witness's key name, e.g. witness.example.org/dealflow.")
@click.option("--key", "verifier_key", required=True, help="Its cosignature/v1 public key: name+id+base64.")
def add_witness_command(name: str, verifier_key: str) -> None:
    """Register a witness whose cosignatures the log accepts and the page shows."""
    try:
        witness = checkpoints.register_witness(name, verifier_key)
    except checkpoints.CheckpointError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    audit.record("ledger.witness_added", actor=None, details={"name": name, "key": verifier_key})
    db.session.commit()
    click.echo(f"Registered witness {witness.name}.")


@ledger_cli.command("keygen")
def keygen_command() -> None:
    """Print a new Ed25519 signing key for LEDGER_SIGNING_KEY (keep it secret; never commit it)."""
    click.echo(signing.new_signer_key_text(current_app.config["LEDGER_ORIGIN"]))


@ledger_cli.command("public-key")
def public_key_command() -> None:
    """Print the log's public key (the C2SP verifier key the README and the page show)."""
    click.echo(signing.log_key().verifier_key)


billing_cli = AppGroup("billing", help="Stripe billing.")


@billing_cli.command("sync-plans")
def sync_plans_command() -> None:
    """Create the Pro product and its monthly and yearly plans at Stripe (or localstripe); safe to run again."""
    try:
        report = billing_subscriptions.sync_plans()
    except billing_errors.BillingError as exc:
        raise click.ClickException(str(exc.message)) from exc
    except billing_gateway.GatewayError as exc:
        raise click.ClickException(f"Stripe refused or did not answer: {exc.message}") from exc
    for line in report:
        click.echo(line)
