"""Account and machine: usage against the plan, token counts, the API key, models, paths, the database check."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable

from promptstudio_tui.cli.common import Command, open_studio, out, overrides, read_text, run


def _cmd_usage(args: argparse.Namespace) -> int:
    from promptstudio_tui.pricing import format_usd

    studio = open_studio(args)
    q = studio.quota_status()
    used_cost = None if q.used.unpriced_requests and not q.used.cost else q.used.cost
    data = {
        "plan": q.plan,
        "month": q.window.month,
        "resets_on": q.window.resets_on,
        "tokens": {"used": q.used.tokens, "limit": q.limits.tokens_limit},
        "requests": {"used": q.used.requests, "limit": q.limits.requests_limit},
        "cost_usd": None if used_cost is None else used_cost / 1_000_000,
        "unpriced_requests": q.used.unpriced_requests,
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(f"plan      {q.plan} ({q.window.month}, resets {q.window.resets_on})")
    print(f"tokens    {q.used.tokens:,} / {q.limits.tokens_limit:,}")
    print(f"requests  {q.used.requests:,} / {q.limits.requests_limit:,}")
    unpriced = f" (+{q.used.unpriced_requests} requests at unknown price)" if q.used.unpriced_requests else ""
    print(f"cost      {format_usd(used_cost)}{unpriced}")
    return 0


def _cmd_tokens(args: argparse.Namespace) -> int:
    from promptstudio_tui.config import load_settings
    from promptstudio_tui.paths import Paths
    from promptstudio_tui.studio_base import count_tokens

    model = args.model or load_settings(Paths.discover().config_file, overrides(args)).model
    result = count_tokens(read_text(args.text), model)
    print(result.tokens)
    if args.verbose:
        kind = "exact" if result.exact else "estimate (unknown model)"
        print(f"model {model}, encoding {result.encoding}, {kind}", file=sys.stderr)
    return 0


def _cmd_key(args: argparse.Namespace) -> int:
    from promptstudio_tui.paths import Paths
    from promptstudio_tui.studio_base import ApiKeys

    paths = Paths.discover()
    paths.ensure_private()
    keys = ApiKeys(paths.config_dir)
    if args.action == "set":
        key = getpass.getpass("API key (input hidden): ") if sys.stdin.isatty() else sys.stdin.readline()
        where = keys.save(key)
        print(f"API key saved in {where}.")
    elif args.action == "clear":
        removed = keys.clear()
        print(f"API key removed from {', '.join(removed)}." if removed else "No stored API key to remove.")
    else:
        current = keys.current()
        if current.value is None:
            print("No API key set (environment, keyring and key file are empty).")
        else:
            print(f"API key {current.masked} from {current.source}.")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    studio = open_studio(args)

    async def models() -> int:
        for name in await studio.list_models():
            out(name + "\n")  # model ids come from the endpoint: untrusted like its replies
        return 0

    return run(studio, models)  # ctrl+c, SIGTERM and SIGHUP close the request and say so, as for `send`


def _cmd_config_path(args: argparse.Namespace) -> int:
    from promptstudio_tui.paths import Paths

    paths = Paths.discover()
    print(f"config    {paths.config_file}")
    print(f"database  {paths.database}")
    print(f"cache     {paths.cache_dir}")
    return 0


def _cmd_doctor(args: argparse.Namespace) -> int:
    from promptstudio_tui.doctor import check

    ok, lines = check(move_aside=args.move_aside)
    for line in lines:
        print(line)
    return 0 if ok else 1


def add_commands(command: Command) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = command("usage", "this month's usage against the plan's limits")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = command("tokens", "count tokens like wc: prints the count alone")
    p.add_argument("text", metavar="TEXT", help="text to count, or - to read stdin")
    p.add_argument("--verbose", action="store_true", help="also print the encoding and whether it is exact")

    p = command("key", "manage the API key (keyring, or a private file where no keyring exists)")
    p.add_argument("action", choices=("set", "clear", "status"))

    command("models", "list the models the endpoint offers")
    command("config-path", "print where the config file, database and cache live")

    p = command("doctor", "check the database; move an unusable one aside")
    p.add_argument("--move-aside", action="store_true", help="rename an unusable database so a new one can start")
    return {
        "usage": _cmd_usage,
        "tokens": _cmd_tokens,
        "key": _cmd_key,
        "models": _cmd_models,
        "config-path": _cmd_config_path,
        "doctor": _cmd_doctor,
    }
