"""`mapi-submission rules`: the rule catalogue, encoded or out of scope."""

from __future__ import annotations

import json

import click

from mapi_submission.model.catalogue import CATALOGUE


@click.command("rules")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
@click.option("--out-of-scope", is_flag=True, help="Only rules the model does not encode.")
def command(as_json: bool, out_of_scope: bool) -> None:
    """List the reference's rules R1..R83 and whether the model encodes each."""
    entries = [e for e in CATALOGUE if not (out_of_scope and e.encoded)]
    if as_json:
        click.echo(json.dumps([e._asdict() for e in entries], indent=2))
        return
    for entry in entries:
        status = "encoded" if entry.encoded else "out of scope: " + entry.reason
        click.echo(f"{entry.rule:>4}  {entry.title}  [{status}]")
    encoded = sum(e.encoded for e in CATALOGUE)
    click.echo(f"{encoded} of {len(CATALOGUE)} rules encoded", err=True)
