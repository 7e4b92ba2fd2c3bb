"""Files the user names, or files in a shared folder, are never written through a link.

`safe_files.write_file` is the one writer of exports, `.prompt.yml` files, config.toml
and the key file: a planted link, a device, a pipe or a folder is refused (even when
overwriting is asked), an existing file is replaced only when asked (the TUI's dialog,
the CLI's `--force`), the temporary file is private and nothing is left behind.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from textual.widgets import Button, Input

from clitools import error_line
from promptstudio_tui.safe_files import NotARegularFile, existing_file, write_file
from promptstudio_tui.screens.modals import ExportModal
from test_screens import Host, text_of
from tui_fixtures import SIZE

BASHRC = "alias ls='ls --color'\n"


def _victim(tmp_path: Path) -> Path:
    """The user's own ~/.bashrc, which another user's link points at."""
    victim = tmp_path / "victim-home" / ".bashrc"
    victim.parent.mkdir()
    victim.write_text(BASHRC)
    return victim


def _non_regular(kind: str, path: Path, tmp_path: Path) -> None:
    if kind == "link":
        path.symlink_to(_victim(tmp_path))
    elif kind == "dangling link":
        path.symlink_to(tmp_path / "nowhere")
    elif kind == "pipe":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own


KINDS = ["link", "dangling link", "pipe", "folder", "device"]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


@pytest.mark.parametrize("overwrite", [False, True], ids=["asked-not", "overwrite"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_link_device_pipe_or_folder_is_never_written(tmp_path: Path, kind: str, overwrite: bool) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "prompt.md"
    _non_regular(kind, target, tmp_path)
    before = os.lstat(target)
    with pytest.raises(NotARegularFile) as refused:
        write_file(target, "exported text\n", overwrite=overwrite)
    assert refused.value.strerror.startswith("it is a ") and refused.value.filename == str(target)
    after = os.lstat(target)
    assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino, stat.S_IFMT(before.st_mode))
    if kind == "link":
        assert (tmp_path / "victim-home" / ".bashrc").read_text() == BASHRC
    assert _leftovers(shared) == []


def test_an_existing_file_is_replaced_only_when_asked_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "notes.md"
    target.write_text("mine\n")
    target.chmod(0o640)
    assert existing_file(target) and not existing_file(tmp_path / "absent.md")
    with pytest.raises(FileExistsError):
        write_file(target, "exported\n")
    assert target.read_text() == "mine\n"
    write_file(target, "exported\n", overwrite=True)
    assert target.read_text() == "exported\n" and stat.S_IMODE(target.stat().st_mode) == 0o640
    write_file(target, "key\n", overwrite=True, mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == []


def test_a_new_file_and_its_temporary_file_are_private_even_under_umask_000(tmp_path: Path) -> None:
    seen: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # the temporary file, as it is about to be renamed
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_fsync(fd)

    old = os.umask(0)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(os, "fsync", fsync)
            write_file(tmp_path / "new.json", "{}\n")
    finally:
        os.umask(old)
    assert seen == [0o600]
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o600


# -- through the CLI: `prompts export -o` in every format ----------------------------------------


@pytest.fixture
def imported(run, tmp_path: Path) -> str:
    source = tmp_path / "release-notes.md"
    source.write_text("Write release notes in three bullets.\n")
    return run("prompts", "import", str(source)).stdout.strip()


@pytest.mark.parametrize("fmt", ["md", "json", "prompt-yml"])
@pytest.mark.parametrize("kind", ["link", "pipe", "device"])
def test_cli_export_never_writes_through_a_link_or_over_a_device(
    run, imported: str, tmp_path: Path, fmt: str, kind: str
) -> None:
    target = tmp_path / f"out.{fmt}"
    _non_regular(kind, target, tmp_path)
    for force in ([], ["--force"]):
        refused = run("prompts", "export", imported, "--format", fmt, "-o", str(target), *force, check=1)
        line = error_line(refused.stderr)
        assert line.startswith(f"Could not write {target}: it is a ") and "not a regular file" in line, line
        assert stat.S_IFMT(os.lstat(target).st_mode) == {"link": stat.S_IFLNK, "pipe": stat.S_IFIFO}.get(
            kind, stat.S_IFCHR
        )
    if kind == "link":
        assert (tmp_path / "victim-home" / ".bashrc").read_text() == BASHRC
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_cli_export_over_an_existing_file_needs_force(run, imported: str, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"notes.{fmt}"
    target.write_text("my own notes\n")
    refused = run("prompts", "export", imported, "--format", fmt, "-o", str(target), check=1)
    assert error_line(refused.stderr) == f"{target} already exists; nothing was written (--force overwrites it)."
    assert target.read_text() == "my own notes\n"
    forced = run("prompts", "export", imported, "--format", fmt, "-o", str(target), "--force")
    assert forced.stderr == f"exported to {target}\n"
    assert "Write release notes in three bullets." in target.read_text()
    fresh = tmp_path / f"fresh.{fmt}"
    run("prompts", "export", imported, "--format", fmt, "-o", str(fresh))  # nothing there: no --force needed
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


# -- the TUI's export dialog asks through the same check -----------------------------------------


async def test_the_export_dialog_asks_before_replacing_and_refuses_a_link(tmp_path: Path) -> None:
    link = tmp_path / "planted.md"
    link.symlink_to(_victim(tmp_path))
    existing = tmp_path / "old.md"
    existing.write_text("mine\n")
    app = Host(lambda: ExportModal("Release notes", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        path = screen.query_one("#path", Input)
        path.focus()
        path.value = str(link)
        await pilot.pause()
        assert "will be replaced" not in text_of(screen)
        assert str(screen.query_one("#confirm", Button).label) == "Export"
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == []
        assert f"{link}: it is a link, not a regular file; choose another name." in text_of(screen)
        path.value = str(existing)
        await pilot.pause()
        assert f"{existing} exists and will be replaced." in text_of(screen)
        assert str(screen.query_one("#confirm", Button).label) == "Replace"
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [("md", existing)]
    assert (tmp_path / "victim-home" / ".bashrc").read_text() == BASHRC
