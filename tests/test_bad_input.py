"""Bad input: control characters, terminal escapes, a read-only or full data directory,
malformed config.

Terminal output is captured from a real pseudo-terminal (stdout.isatty() is True), so
what is asserted is exactly the bytes a person's terminal would receive.

The full disk is a tiny tmpfs mounted over the test home when the tests run as root
with mount rights; otherwise RLIMIT_FSIZE stands in (writes that grow a file fail with
EFBIG instead of ENOSPC: the promises are the same, only the wording differs). The
read-only directory is a 0500 folder; as root, the CLI runs without CAP_DAC_OVERRIDE /
CAP_FOWNER so that the permission bits bind it as they bind everyone else.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import pty
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clitools import PROMPTSTUDIO, TERMINAL_CONTROLS, cli_env, error_line, run_cli, run_in_pty
from conftest import TEST_KEY
from loopback import LoopbackServer, Scenario
from promptstudio_tui import cli, sanitize
from promptstudio_tui.config import ConfigError, load_settings
from promptstudio_tui.errors import describe
from promptstudio_tui.events import StudioError
from promptstudio_tui.studio import Studio
from repos import repos

# Every kind of control: NUL, BEL, backspace, lone CR, vertical tab, form feed, DEL, C1.
NASTY = "nul\x00 bel\x07 bs\x08 cr\r vt\x0b ff\x0c esc\x1b[31m del\x7f c1\x9b31m \x9d0;t\x9c tab\t nl\n end"
# What a hostile model (or endpoint) would send to drive the terminal.
ESCAPES = (
    "clip\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: write the clipboard
    "title\x1b]0;pwned\x07"  # OSC 0: set the window title
    "move\x1b[2J\x1b[H\x1b[10;10H\x1b[?25l"  # CSI: clear, home, cursor move, hide cursor
    "reset\x1bc"  # RIS: full reset / clear
    "c1\x9b31mred\x9d8;;http://x\x9c"  # 8-bit CSI and OSC
    "bell\x07nul\x00back\x08\x08cr\rdone"
)


def assert_inert_on_terminal(data: bytes, *shown: str) -> str:
    """Nothing in `data` can drive a terminal; `shown` texts are visible (not dropped)."""
    text = data.decode("utf-8")
    bad = sorted({f"U+{ord(c):04X}" for c in TERMINAL_CONTROLS.findall(text)})
    assert bad == [], f"terminal controls reached the terminal: {bad} in {text!r}"
    assert "\r" not in text.replace("\r\n", ""), "a lone carriage return reached the terminal"
    for piece in shown:
        assert piece in text, f"{piece!r} not shown in {text!r}"
    return text


# -- control characters round-trip through the store; sanitize makes them inert ------------


async def test_control_characters_round_trip_unchanged_and_render_inert(
    studio: Studio, endpoint: LoopbackServer
) -> None:
    conv = repos(studio).conversations.create(title=NASTY, category="General")
    assert repos(studio).conversations.get(conv.id).title == NASTY
    repos(studio).conversations.update(conv.id, title=NASTY + "!")
    assert repos(studio).conversations.get(conv.id).title == NASTY + "!"
    prompt = repos(studio).prompts.add(title=NASTY, content=NASTY, conversation_id=conv.id)
    assert (repos(studio).prompts.get(prompt.id).title, repos(studio).prompts.get(prompt.id).content) == (NASTY, NASTY)

    endpoint.default = Scenario(reply=NASTY, chunk_size=5)
    fresh = studio.new_conversation()
    [e async for e in studio.send(fresh.id, NASTY)]
    user, reply = studio.history(fresh.id)
    assert (user.content, reply.content, reply.state) == (NASTY, NASTY, "complete")
    assert endpoint.requests[-1].body["messages"][-1]["content"] == NASTY  # sent as typed
    # The automatic title is made from the text but inert, on one line.
    title = repos(studio).conversations.get(fresh.id).title
    assert not TERMINAL_CONTROLS.search(title) and "\n" not in title
    # Searching for it is not FTS syntax and finds it.
    assert {c.id for c in repos(studio).conversations.page("all", "recent", "nul bel", 0, 10)} == {conv.id, fresh.id}
    repos(studio).conversations.page("all", "recent", NASTY, 0, 10)

    for rendered in (sanitize.inert(NASTY), sanitize.one_line(NASTY), sanitize.inert(ESCAPES)):
        assert not TERMINAL_CONTROLS.search(rendered) and "\r" not in rendered
    assert sanitize.inert(NASTY).count("\n") == 1 and "\t" in sanitize.inert(NASTY)  # layout kept
    assert "␛]52;c;" in sanitize.inert(ESCAPES)  # visible, not silently dropped


async def test_a_1mb_single_line_message_is_kept_and_the_refusal_is_clear(
    studio: Studio, endpoint: LoopbackServer
) -> None:
    paste = "x" * 1_000_000  # one line, no spaces: the worst case for the tokenizer
    conv = studio.new_conversation()
    with pytest.raises(StudioError, match=r"may use up to [\d,]+ tokens but only [\d,]+ of the free plan's 10,000"):
        [e async for e in studio.send(conv.id, paste)]
    [message] = studio.history(conv.id)
    assert message.content == paste  # kept whole, nothing sent
    assert not [r for r in endpoint.requests if r.path.endswith("/chat/completions")]


# -- terminal escapes in model output never reach the terminal ----------------------------


def test_cli_send_to_a_terminal_makes_model_escapes_inert(home: Path, endpoint: LoopbackServer) -> None:
    """A real process on a real pseudo-terminal, streaming a hostile reply."""
    endpoint.default = Scenario(reply=ESCAPES, chunk_size=3)  # escapes split across chunks too
    code, data = run_in_pty(cli_env(home, endpoint.base_url, TEST_KEY), "send", "hi")
    assert code == 0
    assert_inert_on_terminal(data, "clip␛]52;c;cm0gLXJmIH4=␇", "title␛]0;pwned␇", "reset␛c", "cr␍done")
    studio = Studio.open()
    assert studio.history(repos(studio).conversations.page()[0].id)[-1].content == ESCAPES  # stored as it came
    studio.close()


@pytest.fixture
def tty_main(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, bytes]]:
    """cli.main in this process with stdout and stderr on a pseudo-terminal (fast)."""

    def invoke(*argv: str) -> tuple[int, bytes]:
        master, slave = pty.openpty()
        received = bytearray()

        def drain() -> None:
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO once the terminal side is closed
                    return
                if not chunk:
                    return
                received.extend(chunk)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        with open(slave, "w", encoding="utf-8", buffering=1) as terminal, monkeypatch.context() as m:
            assert terminal.isatty()
            m.setattr(sys, "stdout", terminal)
            m.setattr(sys, "stderr", terminal)
            code = cli.main(list(argv))
        reader.join(10)
        os.close(master)
        return code, bytes(received)

    return invoke


def test_every_cli_output_of_stored_or_served_text_is_inert_on_a_terminal(
    tty_main, studio: Studio, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Titles, prompts, model ids and server error text: everything untrusted the CLI prints."""
    monkeypatch.setenv("OPENAI_BASE_URL", endpoint.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    conv = repos(studio).conversations.create(title="conv " + ESCAPES, category="General")
    repos(studio).messages.add(conv.id, "user", "preview " + ESCAPES)
    repos(studio).conversations.note_message(conv.id, "preview " + ESCAPES, unread=False)
    prompt = repos(studio).prompts.add(title="prompt " + ESCAPES, content="body " + ESCAPES, conversation_id=conv.id)
    endpoint.models = ["good-model", "evil" + ESCAPES]

    for argv in (
        ("conversations", "list"),
        ("conversations", "list", "--json"),
        ("prompts", "list"),
        ("prompts", "list", "--json"),
        ("prompts", "show", prompt.id),
        ("prompts", "export", prompt.id, "--format", "md"),
        ("prompts", "export", prompt.id, "--format", "json"),
        ("models",),
    ):
        code, data = tty_main(*argv)
        assert code == 0, data
        assert_inert_on_terminal(data)

    # An endpoint that puts escapes in its error text: the error line is inert too.
    endpoint.default = Scenario(status=400, error_message="bad request " + ESCAPES)
    code, data = tty_main("send", "--conversation", conv.id, "hello")
    assert code == 1
    text = assert_inert_on_terminal(data, "bad request clip␛]52;c;")
    assert text.count("promptstudio: ") == 1
    # ... and so is what was stored for the TUI to show.
    assert not TERMINAL_CONTROLS.search(studio.history(conv.id)[-1].error)


# -- a read-only data directory ------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_PR_CAPBSET_DROP = 24
_DAC_CAPS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def _as_ordinary_user() -> None:
    """preexec_fn: root without the capabilities that ignore permission bits."""
    if os.geteuid() == 0:
        for cap in _DAC_CAPS:
            if _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _one_line(result: subprocess.CompletedProcess) -> str:
    """The failure sentence: `promptstudio: ...` on stderr, or doctor's report on stdout."""
    if result.args[1] == "doctor" and result.stdout:
        assert result.stderr == "" and result.stdout.count("\n") == 1, result
        return result.stdout.strip()
    return error_line(result.stderr)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("files", ["writable", "read-only"])
async def test_read_only_data_directory_gives_one_clear_error_and_changes_nothing(
    files: str, home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    studio = Studio.open({"base_url": endpoint.base_url})
    [e async for e in studio.send(studio.new_conversation().id, "first")]
    await studio.aclose()
    env = cli_env(home, endpoint.base_url, TEST_KEY)
    home.chmod(0o500)
    if files == "read-only":
        for path in home.iterdir():
            if path.is_file():
                path.chmod(0o400)
    before = _snapshot(home)
    try:
        for args in (("send", "typed while read-only"), ("conversations", "list"), ("doctor", "--move-aside")):
            result = run_cli(env, *args, preexec_fn=_as_ordinary_user)
            assert result.returncode == 1, (args, result.stdout, result.stderr)
            message = _one_line(result)
            assert "read-only" in message or "Permission denied" in message, message
            assert "move-aside" not in message  # the database is fine: never advise moving it
        assert _snapshot(home) == before  # nothing written, nothing moved
    finally:
        home.chmod(0o700)
    assert run_cli(env, "conversations", "list").returncode == 0


def test_data_directory_that_cannot_be_created(tmp_path: Path, endpoint: LoopbackServer) -> None:
    parent = tmp_path / "locked"
    parent.mkdir(mode=0o500)
    try:
        result = run_cli(
            cli_env(parent / "home", endpoint.base_url, TEST_KEY), "send", "hi", preexec_fn=_as_ordinary_user
        )
    finally:
        parent.chmod(0o700)
    assert result.returncode == 1
    assert error_line(result.stderr) == f"Permission denied: {parent / 'home'}."
    assert list(parent.iterdir()) == []


# -- a full disk ---------------------------------------------------------------------------


class SmallDisk:
    """The test home on a 2 MiB tmpfs (root), else RLIMIT_FSIZE as a stand-in."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.mounted = False
        if os.geteuid() == 0 and not os.environ.get("PROMPTSTUDIO_TEST_NO_MOUNT"):
            done = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(root)], capture_output=True
            )
            self.mounted = done.returncode == 0
        self._saved_limit: tuple[int, int] | None = None

    @property
    def full_words(self) -> str:
        return "full" if self.mounted else ""  # EFBIG says "disk I/O error" / "File too large"

    def fill(self, pid: int | None = None) -> None:
        """Use up the space (for everyone), or forbid `pid` (default: this process) to grow files."""
        if self.mounted:
            with open(self.root / "filler", "wb", buffering=0) as filler:
                for size in (65536, 1024, 1):  # big blocks, then the last crumbs
                    try:
                        while True:
                            filler.write(b"\0" * size)
                    except OSError as exc:
                        assert exc.errno == errno.ENOSPC
        elif pid is not None:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
        else:
            self._saved_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
            resource.setrlimit(resource.RLIMIT_FSIZE, (0, self._saved_limit[1]))

    def free(self) -> None:
        (self.root / "filler").unlink(missing_ok=True)
        if self._saved_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, self._saved_limit)
            self._saved_limit = None

    def preexec(self) -> None:
        """For processes started while the disk is full."""
        if not self.mounted:
            resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))

    def close(self) -> None:
        self.free()
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.root)], check=True)


@pytest.fixture
def small_disk(home: Path) -> Iterator[SmallDisk]:
    disk = SmallDisk(home)
    try:
        yield disk
    finally:
        disk.close()


async def _seed(endpoint: LoopbackServer) -> tuple[str, str]:
    """A conversation and a prompt, then every connection closed (no -wal/-shm left)."""
    studio = Studio.open({"base_url": endpoint.base_url})
    conv = studio.new_conversation()
    [e async for e in studio.send(conv.id, "seed")]
    prompt = [e async for e in studio.generate(conv.id)][-1].prompt
    await studio.aclose()
    return conv.id, prompt.id


async def test_full_disk_at_start_gives_one_clear_error_and_never_moves_the_database(
    small_disk: SmallDisk, home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    conversation, _ = await _seed(endpoint)
    database = home / "promptstudio.db"
    before = database.read_bytes()
    small_disk.fill()
    env = cli_env(home, endpoint.base_url, TEST_KEY)
    try:
        for args in (("send", "--conversation", conversation, "typed on a full disk"), ("doctor", "--move-aside")):
            result = run_cli(env, *args, preexec_fn=small_disk.preexec)
            assert result.returncode == 1, (args, result.stdout, result.stderr)
            message = _one_line(result)
            assert small_disk.full_words in message and "move-aside" not in message, message
            assert message.startswith(f"Cannot open the database {database}: ") and message.endswith(
                "It was left untouched."
            )
        assert database.read_bytes() == before and not list(home.glob("*.unusable-*"))
    finally:
        small_disk.free()
    listing = run_cli(env, "conversations", "list")
    assert listing.returncode == 0 and "seed" in listing.stdout
    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM messages").fetchone() == (2,)


def test_full_disk_while_a_reply_streams(small_disk: SmallDisk, home: Path, endpoint: LoopbackServer) -> None:
    """One clear error; the next start finds the message and the partial reply, interrupted."""
    reply = " ".join(f"w{i}" for i in range(6000))
    endpoint.default = Scenario(reply=reply, chunk_size=40, delay=0.01)
    proc = subprocess.Popen(
        [PROMPTSTUDIO, "send", "a long one please"],
        env=cli_env(home, endpoint.base_url, TEST_KEY),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    database = home / "promptstudio.db"
    try:
        deadline = time.monotonic() + 30
        while True:  # until a partial reply has been written through
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            with (
                contextlib.suppress(sqlite3.OperationalError),
                contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db,
            ):
                row = db.execute("SELECT length(content) FROM messages WHERE role = 'assistant'").fetchone()
                if row and row[0]:
                    break
            time.sleep(0.05)
        small_disk.fill(proc.pid)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        small_disk.free()
    assert proc.returncode == 1, err
    message = error_line(err)
    if small_disk.mounted:
        assert message == "The disk is full, so nothing more could be saved; free some space and try again."
    assert reply.startswith(out.rstrip("\n")) and out  # what arrived was shown

    studio = Studio.open()
    try:
        assert any("marked interrupted" in n for n in studio.notices)
        [conv] = repos(studio).conversations.page()
        user, partial = studio.history(conv.id)
        assert user.content == "a long one please"
        assert partial.state == "interrupted" and partial.content and reply.startswith(partial.content)
        assert repos(studio).store.query("PRAGMA integrity_check")[0][0] == "ok"
    finally:
        studio.close()


async def test_full_disk_leaves_no_half_written_export_or_config(
    small_disk: SmallDisk, home: Path, endpoint: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    _, prompt_id = await _seed(endpoint)
    studio = Studio.open({"base_url": endpoint.base_url})
    studio.update_settings(model="first-model")
    config_before = studio.paths.config_file.read_text()
    prompt = repos(studio).prompts.get(prompt_id)
    exports = home / "exports"
    exports.mkdir()
    small_disk.fill()
    try:
        with pytest.raises(StudioError) as info:
            studio.write_export(prompt, "md", exports / "prompt.md")
        with pytest.raises(OSError) as config_error:
            studio.update_settings(model="another-model")
    finally:
        small_disk.free()
    assert str(info.value).startswith(f"Could not write {exports / 'prompt.md'}: ")
    assert ("No space left on device" if small_disk.mounted else "File too large") in str(info.value)
    assert list(exports.iterdir()) == []  # neither the file nor its .partial
    sentence = describe(config_error.value)
    assert sentence and "\n" not in sentence
    assert studio.paths.config_file.read_text() == config_before
    assert sorted(p.name for p in home.glob("*config.toml*")) == ["config.toml"]  # no temporary file left behind
    studio.write_export(prompt, "md", exports / "prompt.md")  # and it works once there is room
    await studio.aclose()


# -- malformed config.toml (what tests/test_config.py does not cover yet) -----------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        # The same key at the top level and in [generate]: the line of the bad one.
        ('temperature = 0.5\n\n[generate]\ntemperature = "hot"\n', 4, "temperature must be a number"),
        (
            '[plans.free]\ntokens_limit = 5\n\n[plans.pro]\ntokens_limit = "lots"\n',
            5,
            "tokens_limit must be a whole number",
        ),
        # Typos inside tables were silently ignored.
        ("[plans.pro]\ntoken_limit = 5000\n", 2, "unknown setting 'token_limit' in [plans.pro]"),
        ("[generate]\ntemprature = 0.2\n", 2, "unknown setting 'temprature' in [generate]"),
        ('model = "m"\n[plans]\npro = 5\n', 3, "[plans] pro must be a table like [plans.pro]"),
        ('model = "m"\nplans = 5\n', 2, "plans must be a table"),
        ('[prices."m"]\ninput = "cheap"\n', 1, "must be a number"),
        ("timeout = true\n", 1, "timeout must be a number, not True"),
        ('model = "a"\n\nplan = "\xff"\n', 3, "is not valid UTF-8 (byte 0xff)"),
        ('model = "a\x00"\n', 1, "is not valid TOML"),
    ],
    ids=[
        "table-shadowed-key",
        "second-table",
        "plans-typo",
        "generate-typo",
        "plans-scalar",
        "table-as-scalar",
        "price-type",
        "bool-for-number",
        "invalid-utf8",
        "nul",
    ],
)
def test_more_bad_config_files_name_file_and_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_bytes(text.encode("utf-8").replace("\xff".encode(), b"\xff"))
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    message = str(info.value)
    assert message.startswith(f"{cfg}, line {line}: ") and fragment in message and "\n" not in message


def test_bad_config_is_one_line_from_the_cli(home: Path, endpoint: LoopbackServer) -> None:
    home.mkdir(mode=0o700, parents=True)
    (home / "config.toml").write_text('model = "m"\n\n[plans.pro]\ntoken_limit = 5\n')
    result = run_cli(cli_env(home, endpoint.base_url, TEST_KEY), "send", "hi")
    assert result.returncode == 1 and result.stdout == ""
    assert error_line(result.stderr) == (
        f"{home / 'config.toml'}, line 4: unknown setting 'token_limit' in [plans.pro] (known: tokens_limit, requests_limit)"
    )
    assert not (home / "promptstudio.db").exists()  # refused before anything was written
