"""`decisionlang cache info` and `decisionlang cache clear`: the user's cache of checked policies
and loaded states (decisionlang.inputs.cache). Exit code 0: a directory that is missing or cannot be
read shows as empty, and what cannot be removed stays."""

from __future__ import annotations

import click

from decisionlang.cli.common import guarded


@click.group("cache")
def cache() -> None:
    """The cache of checked policies and loaded states that makes a second run fast.

    It lives in DECISIONLANG_CACHE_DIR, else the user's cache directory (~/.cache/decisionlang
    on Linux); DECISIONLANG_NO_CACHE=1 or --no-cache turns it off."""


@cache.command("info")
@guarded
def info() -> None:
    """Where the cache is, how many entries it holds and their size."""
    from decisionlang.core.cachedir import cache_disabled
    from decisionlang.inputs.cache import Cache, from_environment

    store = from_environment() or Cache.of_environment_directory()
    summary = store.info()
    click.echo(f"directory: {summary.directory}")
    click.echo(f"entries: {summary.entries}")
    click.echo(
        f"size: {_size(summary.size)} (at most {_size(summary.max_size)}; least recently used first out)"
    )
    if cache_disabled():
        click.echo("off: DECISIONLANG_NO_CACHE is set")


@cache.command("clear")
@guarded
def clear() -> None:
    """Remove every entry (the next run computes and stores them again)."""
    from decisionlang.inputs.cache import Cache, from_environment

    store = from_environment() or Cache.of_environment_directory()
    removed = store.clear()
    click.echo(f"removed {removed} {'entry' if removed == 1 else 'entries'} from {store.directory}")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    scaled = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        scaled /= 1024
        if scaled < 1024 or unit == "GiB":
            break
    return f"{scaled:.1f} {unit}"
