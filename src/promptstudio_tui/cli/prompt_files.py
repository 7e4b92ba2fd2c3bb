"""`promptstudio prompts lint | export-all | export --format prompt-yml | import FILE.prompt.yml | import DIR`.

Lint prints one line per finding (`line:col severity code: message`, `-:-` for the whole
text), then the token count and the cost of one request; exit 1 on an error-level
finding. Files are GitHub Models' `.prompt.yml` (see prompt_files.py in the service for
which prompt a file is and when a file is overwritten).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from promptstudio_tui.cli.common import PathArgument, is_utf8, json_out, out, read_stdin, version_number
from promptstudio_tui.safe_files import shown

SUFFIXES = (".prompt.yml", ".prompt.yaml")
Handler = Callable[..., int]


def add_actions(action: Callable[..., argparse.ArgumentParser]) -> dict[str, Handler]:
    """Add lint and export-all to `prompts`; the handlers take (studio, args)."""
    a = action("lint", "check a prompt offline: braces, variables, format, vague words, length, cost", False)
    a.add_argument(
        "target", metavar="ID|FILE", type=PathArgument, help="prompt id or prefix, a .prompt.yml, a text file, or -"
    )
    a.add_argument("--version", metavar="N", help="lint this version of a saved prompt instead of the latest")
    a.add_argument("--json", action="store_true", help="the report as JSON")
    a = action("export-all", "write every prompt as a .prompt.yml file into DIR (for git)", False)
    a.add_argument("dir", metavar="DIR", type=PathArgument, help="the folder (made if missing)")
    a.add_argument("--force", action="store_true", help="overwrite this prompt's files even if changed since")
    return {"lint": lint, "export-all": export_all}


def handles_import(file: str) -> bool:
    """`prompts import` of a .prompt.yml or a folder comes here; text and markdown do not."""
    return file != "-" and (file.lower().endswith(SUFFIXES) or Path(file).expanduser().is_dir())


# ---- lint


def lint(studio, args: argparse.Namespace) -> int:
    from promptstudio_tui.prompt_files import read_file

    target: str = args.target
    path = Path(target).expanduser()
    if target == "-":
        report = studio.lint_text(read_stdin())
    elif path.is_file() or not is_utf8(target):  # no id is anything but UTF-8: a file that is not there
        if args.version is not None:
            print("promptstudio: --version applies to a saved prompt, not to a file; ignored", file=sys.stderr)
        text = read_file(path)
        report = studio.lint_file(text, str(path)) if target.lower().endswith(SUFFIXES) else studio.lint_text(text)
    else:
        prompt = studio.find_prompt(target)
        number = None if args.version is None else version_number(args.version)
        report = studio.lint_prompt(prompt.id, number)
    if args.json:
        json_out(report.as_dict())
    else:
        print_report(report)
    return 1 if report.has_errors else 0


def print_report(report) -> None:
    from promptstudio_tui.pricing import format_usd

    lines = []
    for f in report.findings:
        where = f"{f.line}:{f.column}" if f.line is not None else "-:-"
        lines.append(f"{where} {f.severity} {f.code}: {f.message}\n")
    out("".join(lines))  # messages quote the prompt: untrusted text
    approx = "≈" if report.tokens_estimated else ""
    errors, warnings = report.count("error"), report.count("warning")
    print(f"{approx}{report.tokens:,} tokens; {errors} error(s), {warnings} warning(s), {report.count('info')} info")
    for cost in report.costs:
        print(
            f"one request on {cost.model}: {format_usd(cost.prompt_micros)} for the prompt"
            f" + {format_usd(cost.reply_micros_per_1k)} per 1,000 reply tokens"
        )


# ---- export


def export(studio, prompt, args: argparse.Namespace) -> int:
    """`prompts export ID --format prompt-yml [-o FILE] [--force]`."""
    from promptstudio_tui.prompt_files import NOT_IN_FILES

    if args.output:
        done = studio.write_prompt_file(prompt.id, Path(args.output), force=args.force)
        state = "exported to" if done.written else "unchanged:"
        print(f"{state} {shown(done.path)} ({NOT_IN_FILES})", file=sys.stderr)
    else:
        out(studio.export_prompt_file(prompt.id))
        print(f"promptstudio: {NOT_IN_FILES}", file=sys.stderr)
    return 0


def export_all(studio, args: argparse.Namespace) -> int:
    from promptstudio_tui.prompt_files import NOT_IN_FILES
    from promptstudio_tui.sanitize import one_line

    report = studio.export_all(Path(args.dir), force=args.force)
    for done in report.files:
        state = "wrote    " if done.written else "unchanged"
        print(f"{state} {shown(done.path)}  {done.prompt.id}  {one_line(done.prompt.title, 60)}")
    for problem in report.skipped:
        print(f"promptstudio: skipped: {one_line(problem)}", file=sys.stderr)
    written = sum(f.written for f in report.files)
    print(
        f"{len(report.files)} file(s): {written} written, {len(report.files) - written} unchanged,"
        f" {len(report.skipped)} skipped; {NOT_IN_FILES}",
        file=sys.stderr,
    )
    return 1 if report.skipped else 0


# ---- import


def import_(studio, args: argparse.Namespace) -> int:
    """`prompts import FILE.prompt.yml` or `prompts import DIR`."""
    from promptstudio_tui.prompt_files import read_file

    path = Path(args.file).expanduser()
    if path.is_dir():
        report = studio.import_dir(path)
        for done in report.files:
            _said(done)
        for problem in report.errors:
            print(f"promptstudio: {problem}", file=sys.stderr)
        print(
            f"{len(report.files) + len(report.errors)} file(s): {report.count('created')} created,"
            f" {report.count('new_version')} new version(s), {report.count('updated')} updated,"
            f" {report.count('unchanged')} unchanged, {len(report.errors)} failed",
            file=sys.stderr,
        )
        return 1 if report.errors else 0
    _said(studio.import_prompt_file(read_file(path), str(path)))
    return 0


def _said(done) -> None:
    from promptstudio_tui.sanitize import one_line

    what = {
        "created": f"created prompt {done.prompt.id}",
        "new_version": f"new version v{done.version.number if done.version else '?'} of prompt {done.prompt.id}",
        "updated": f"updated prompt {done.prompt.id} (test cases, evaluators or fields; same text, no new version)",
        "unchanged": f"unchanged: prompt {done.prompt.id}",
    }[done.outcome]
    print(done.prompt.id)
    print(f"{one_line(shown(done.source))}: {what} ({one_line(done.prompt.title, 60)})", file=sys.stderr)
