"""`promptstudio`: the studio TUI with no arguments, headless commands otherwise."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from promptstudio_tui import __version__

EPILOG = """\
Run with no command to open the studio. Settings come from config.toml
(see `promptstudio config-path`), OPENAI_BASE_URL / OPENAI_API_KEY, and the
--base-url / --model / --plan flags, in rising order of precedence."""


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--base-url", default=default, help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1"
    )
    parser.add_argument("--model", default=default, help="model name, e.g. gpt-4o-mini")
    parser.add_argument("--plan", default=default, choices=("free", "pro", "enterprise"), help="plan tier for quota")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promptstudio",
        description="Talk with an LLM about what you need; press ctrl+g to turn it into a copy-ready prompt.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"promptstudio {__version__}")
    _common(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _common(p, suppress=True)
        return p

    p = command("send", "send a message and stream the reply to stdout")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--conversation", metavar="ID", help="continue this conversation (id or unique prefix)")
    target.add_argument("--new", action="store_true", help="start a new conversation (the default)")
    p.add_argument("--category", default="General", help="category for a new conversation")
    p.add_argument("text", metavar="TEXT", help="the message, or - to read it from stdin")

    p = command("generate", "generate the conversation's prompt, or its next version; print it and save it")
    p.add_argument("--conversation", metavar="ID", required=True, help="conversation id or unique prefix")
    p.add_argument("--title", help="title for the saved prompt (default: the conversation's title)")

    p = command("conversations", "list conversations")
    p.add_argument("action", choices=("list",), help="list: newest activity first")
    p.add_argument("--archived", action="store_true", help="list archived conversations")
    p.add_argument("--search", default="", metavar="WORDS", help="only conversations matching these words")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = command("prompts", "saved prompts and their versions: list, show, diff, refine, edit, import …")
    prompts = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str, takes_id: bool = True) -> argparse.ArgumentParser:
        a = prompts.add_parser(name, help=help_text, description=help_text)
        _common(a, suppress=True)
        if takes_id:
            a.add_argument("id", metavar="ID", help="prompt id or unique prefix")
        return a

    a = action("list", "list saved prompts, newest first", takes_id=False)
    a.add_argument("--json", action="store_true", help="machine-readable list")
    a = action("show", "print a prompt's latest text, or another version's")
    a.add_argument("--version", metavar="N", help="this version instead of the latest")
    a = action("export", "write a prompt as markdown or JSON")
    a.add_argument("--format", choices=("md", "json"), default="md", help="export format")
    a.add_argument("-o", "--output", metavar="FILE", help="export to FILE instead of stdout")
    action("versions", "one line per version: number, time, source, tokens")
    a = action("diff", "word diff between two versions (default: the previous one against the latest)")
    a.add_argument("a", nargs="?", metavar="A", help="the older version (default: the one before B)")
    a.add_argument("b", nargs="?", metavar="B", help="the newer version (default: the latest)")
    a = action("restore", "make an old version's text the latest, as a new version")
    a.add_argument("number", metavar="N", help="the version to restore")
    a = action("refine", "ask the model for a new version that follows INSTRUCTION; prints it")
    a.add_argument("instruction", metavar="INSTRUCTION", help='e.g. "make it shorter", or - to read stdin')
    action("edit", "edit the latest version in $VISUAL or $EDITOR; a changed text becomes a new version")
    a = action("import", "bring in a prompt you have (text or markdown with front matter) to improve it", False)
    a.add_argument("file", metavar="FILE", help="the file, or - to read stdin")

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
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, str | None]:
    return {k: getattr(args, k, None) for k in ("base_url", "model", "plan")}


def _read_text(value: str) -> str:
    return sys.stdin.read() if value == "-" else value


def _out(text: str) -> None:
    """Model output is untrusted: on a terminal its control characters are made inert."""
    from promptstudio_tui.sanitize import inert

    sys.stdout.write(inert(text) if sys.stdout.isatty() else text)
    sys.stdout.flush()


def _json_out(data: object) -> None:
    """JSON with stored text in it (titles, previews): json.dumps escapes C0 controls but
    leaves C1 ones (U+0080-U+009F, e.g. U+009B CSI, which terminals may obey) and DEL raw;
    escape those too. Still the same JSON value."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    print(re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = HANDLERS.get(args.command)
    try:
        if handler is None:
            return _run_tui(args)
        return handler(args)
    except KeyboardInterrupt:
        print("promptstudio: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from promptstudio_tui.errors import describe

        message = describe(exc)
        if message is None:
            raise
        print(f"promptstudio: {message}", file=sys.stderr)
        return 1


def _run_tui(args: argparse.Namespace) -> int:
    from promptstudio_tui.app import PromptStudioApp

    PromptStudioApp(overrides=_overrides(args)).run()
    return 0


def _studio(args: argparse.Namespace):
    from promptstudio_tui.studio import Studio

    studio = Studio.open(_overrides(args))
    for notice in studio.notices:
        print(f"promptstudio: {notice}", file=sys.stderr)
    return studio


def _cmd_send(args: argparse.Namespace) -> int:
    from promptstudio_tui.events import ReplyDelta, ReplyDone, StudioError

    text = _read_text(args.text)
    studio = _studio(args)

    async def run() -> int:
        try:
            if args.conversation:
                conversation = studio.find_conversation(args.conversation)
            else:
                conversation = studio.new_conversation(category=_category(args.category))
            print(f"conversation {conversation.id}", file=sys.stderr)
            async for event in studio.send(conversation.id, text):
                if isinstance(event, ReplyDelta):
                    _out(event.text)
                elif isinstance(event, ReplyDone):
                    _out("\n")
                    if event.message.state != "complete":
                        raise StudioError(event.message.error or f"The reply ended {event.message.state}.")
                    if event.message.error:
                        print(f"promptstudio: {event.message.error}", file=sys.stderr)
            return 0
        finally:
            await studio.aclose()

    return asyncio.run(run())


def _cmd_generate(args: argparse.Namespace) -> int:
    from promptstudio_tui.events import PromptDelta, PromptReady

    studio = _studio(args)

    async def run() -> int:
        try:
            conversation = studio.find_conversation(args.conversation)
            async for event in studio.generate(conversation.id):
                if isinstance(event, PromptDelta):
                    _out(event.text)
                elif isinstance(event, PromptReady):
                    prompt = event.prompt
                    if args.title:
                        prompt = studio.save_prompt(
                            prompt.id, title=args.title, category=prompt.category, tags=prompt.tags
                        )
                    _out("\n")
                    made = event.version
                    print(f"saved prompt {prompt.id} v{made.number} ({made.tokens} tokens)", file=sys.stderr)
            return 0
        finally:
            await studio.aclose()

    return asyncio.run(run())


def _cmd_conversations(args: argparse.Namespace) -> int:
    from promptstudio_tui.sanitize import one_line

    studio = _studio(args)
    rows, _ = studio.conversation_page("archived" if args.archived else "all", "recent", args.search, 0, args.limit)
    if args.json:
        _json_out([_conversation_json(c) for c in rows])
    else:
        for c in rows:
            star = "*" if c.is_starred else " "
            print(
                f"{c.id}  {star} {c.last_message_at[:16].replace('T', ' ')}  {c.category:<16}  {one_line(c.title, 60)}"
            )
    return 0


def _conversation_json(c) -> dict[str, object]:
    return {
        "id": c.id,
        "title": c.title,
        "category": c.category,
        "status": c.status,
        "starred": c.is_starred,
        "tags": c.tags,
        "last_message_at": c.last_message_at,
        "preview": c.preview,
    }


def _cmd_prompts(args: argparse.Namespace) -> int:
    studio = _studio(args)
    if args.action == "list":
        return _prompts_list(studio, args)
    if args.action == "import":
        return _prompts_import(studio, args)
    prompt = studio.find_prompt(args.id)
    return PROMPT_ACTIONS[args.action](studio, prompt, args)


def _prompts_list(studio, args: argparse.Namespace) -> int:
    from promptstudio_tui.sanitize import one_line

    prompts = studio.prompts_for(None)
    if args.json:
        _json_out([json.loads(studio.export_prompt(p, "json")) for p in prompts])
        return 0
    for p in prompts:
        fav = "*" if p.is_favorite else " "
        when = p.created_at[:16].replace("T", " ")
        print(f"{p.id}  {fav} {when}  v{p.version:<3} {p.tokens_used:>6} tok  {one_line(p.title, 60)}")
    return 0


def _prompts_show(studio, prompt, args: argparse.Namespace) -> int:
    number = None if args.version is None else _version_number(args.version)
    _out(studio.version(prompt.id, number).content + "\n")
    return 0


def _prompts_export(studio, prompt, args: argparse.Namespace) -> int:
    if args.output:
        path = studio.write_export(prompt, args.format, Path(args.output))
        print(f"exported to {path}", file=sys.stderr)
    else:
        _out(studio.export_prompt(prompt, args.format))
    return 0


def _prompts_versions(studio, prompt, args: argparse.Namespace) -> int:
    for v in studio.versions(prompt.id):
        print(f"v{v.number:<4} {v.created_at[:16].replace('T', ' ')}  {v.source:<9}  {v.tokens:>6} tok")
    return 0


def _prompts_diff(studio, prompt, args: argparse.Namespace) -> int:
    a = None if args.a is None else _version_number(args.a)
    b = None if args.b is None else _version_number(args.b)
    compared = studio.diff(prompt.id, a, b)
    words = compared.words
    summary = f"+{words.words_added} -{words.words_removed} words" if words.changed else "no changes"
    print(f"v{compared.old.number} → v{compared.new.number}: {summary}", file=sys.stderr)
    if not words.changed:
        print("no changes")
        return 0
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        sys.stdout.write(_coloured(words))  # not _out: its runs are inert already, the colours are ours
    else:
        _out(words.plain())
    _out("" if words.new.endswith("\n") else "\n")
    return 0


def _coloured(words) -> str:
    """Removed words red, added green (as `git diff --word-diff=color`); each run made inert first."""
    from promptstudio_tui.sanitize import inert

    styles = {"delete": "\x1b[31m", "insert": "\x1b[32m"}
    return "".join(
        f"{styles[run.kind]}{inert(run.text)}\x1b[0m" if run.kind in styles else inert(run.text) for run in words.runs
    )


def _prompts_restore(studio, prompt, args: argparse.Namespace) -> int:
    version = studio.restore(prompt.id, _version_number(args.number))
    print(f"restored v{version.metadata['restored_from']} as v{version.number} of prompt {prompt.id}", file=sys.stderr)
    return 0


def _prompts_refine(studio, prompt, args: argparse.Namespace) -> int:
    from promptstudio_tui.events import PromptDelta, PromptReady

    instruction = _read_text(args.instruction)

    async def run() -> int:
        try:
            async for event in studio.refine(prompt.id, instruction):
                if isinstance(event, PromptDelta):
                    _out(event.text)
                elif isinstance(event, PromptReady):
                    _out("\n")
                    made = event.version
                    print(f"saved v{made.number} of prompt {prompt.id} ({made.tokens} tokens)", file=sys.stderr)
            return 0
        finally:
            await studio.aclose()

    return asyncio.run(run())


def _prompts_edit(studio, prompt, args: argparse.Namespace) -> int:
    from promptstudio_tui.editor import edit_text

    latest = studio.version(prompt.id)
    edited = edit_text(latest.content + "\n", studio.paths.cache_dir)
    made = studio.edit_prompt(prompt.id, edited)
    if made is None:
        print("no changes; no version made", file=sys.stderr)
    else:
        print(f"saved v{made.number} of prompt {prompt.id} (edited, {made.tokens} tokens)", file=sys.stderr)
    return 0


def _prompts_import(studio, args: argparse.Namespace) -> int:
    from promptstudio_tui.events import StudioError

    if args.file == "-":
        text, title = sys.stdin.read(), None
    else:
        path = Path(args.file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise StudioError(f"{path} is not UTF-8 text; save it as UTF-8 and import it again.") from None
        title = path.stem
    prompt = studio.import_prompt(text, title=title)
    print(prompt.id)
    print(
        f"imported as v1 of prompt {prompt.id} ({prompt.tokens_used} tokens), with conversation "
        f"{prompt.conversation_id} to talk it over; `promptstudio generate --conversation ID` improves it",
        file=sys.stderr,
    )
    return 0


def _version_number(text: str) -> int:
    """A version as the user writes it: 3 or v3."""
    from promptstudio_tui.events import StudioError

    digits = text.strip().lower().removeprefix("v")
    if not digits.isdigit():
        raise StudioError(f"A version is a number such as 2 or v2, not {text!r}.")
    return int(digits)


PROMPT_ACTIONS: dict[str, Callable[..., int]] = {
    "show": _prompts_show,
    "export": _prompts_export,
    "versions": _prompts_versions,
    "diff": _prompts_diff,
    "restore": _prompts_restore,
    "refine": _prompts_refine,
    "edit": _prompts_edit,
}


def _cmd_usage(args: argparse.Namespace) -> int:
    from promptstudio_tui.pricing import format_usd

    studio = _studio(args)
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

    model = args.model or load_settings(Paths.discover().config_file, _overrides(args)).model
    result = count_tokens(_read_text(args.text), model)
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
    studio = _studio(args)

    async def run() -> list[str]:
        try:
            return await studio.list_models()
        finally:
            await studio.aclose()

    for name in asyncio.run(run()):
        _out(name + "\n")  # model ids come from the endpoint: untrusted like its replies
    return 0


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


def _category(value: str) -> str:
    from promptstudio_tui.catalog import CATEGORIES
    from promptstudio_tui.events import StudioError

    for name in CATEGORIES:
        if name.lower() == value.lower():
            return name
    raise StudioError(f"Unknown category {value!r}; choose one of: {', '.join(CATEGORIES)}.")


HANDLERS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    "send": _cmd_send,
    "generate": _cmd_generate,
    "conversations": _cmd_conversations,
    "prompts": _cmd_prompts,
    "usage": _cmd_usage,
    "tokens": _cmd_tokens,
    "key": _cmd_key,
    "models": _cmd_models,
    "config-path": _cmd_config_path,
    "doctor": _cmd_doctor,
}
