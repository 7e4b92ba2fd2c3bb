"""Start the studio with candidate optimisations patched in, to measure them before
anyone edits src/ (used by `bench/run.py --whatif NAME,...`).

    python bench/whatif.py nolastchild,history:8 [promptstudio args...]

Each patch is a few lines and says what source change it stands for; a patch whose
target has already changed in src/ is a no-op (so after the fix lands it measures
the same as the plain run). Never used by the app itself.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

# `.message-body > *:last-child {...}` / `.message Markdown > *:last-child {...}`
LAST_CHILD_RULE = re.compile(r"\.message[^{}]*>\s*\*:last-child\s*\{[^}]*\}")


def nolastchild(_arg: str | None) -> None:
    """styles.tcss: drop the `.message … > *:last-child { margin-bottom: 0 }` rule. An order
    rule makes Textual restyle every sibling block (and its subtree) each time the
    streaming Markdown appends one: quadratic in the reply's length."""
    import promptstudio_tui.app as app_module

    css = (Path(app_module.__file__).parent / "styles.tcss").read_text()
    patched = LAST_CHILD_RULE.sub("", css)
    out = Path(tempfile.gettempdir()) / "promptstudio-whatif-styles.tcss"
    out.write_text(patched)
    app_module.PromptStudioApp.CSS_PATH = str(out)


def history(arg: str | None) -> None:
    """screens/conversation_actions.py: HISTORY_PAGE (messages rendered when a conversation opens)."""
    import promptstudio_tui.screens.conversation_actions as screen

    screen.HISTORY_PAGE = int(arg or 8)


def listpage(arg: str | None) -> None:
    """widgets/conversation_list.py: PAGE (rows fetched and laid out per page)."""
    import promptstudio_tui.widgets.conversation_list as cl

    cl.PAGE = int(arg or 40)


def textrows(_arg: str | None) -> None:
    """widgets/conversation_list.py: a row as one two-line Text instead of a Table.grid
    (OptionList measures every option's height by rendering it)."""
    import inspect

    from rich.text import Text

    import promptstudio_tui.widgets.conversation_list as cl

    if len(inspect.signature(cl.row).parameters) != 2:
        return  # src/ already builds rows as text for the list's width (landed 03:45)

    def row(conversation, now):  # type: ignore[no-untyped-def]
        title = cl.one_line(conversation.title) or "Untitled"
        when = cl.relative_date(conversation.last_message_at, now)
        star = "★ " if conversation.is_starred else ""
        badge = ""
        if conversation.unread_count:
            badge = ("9+" if conversation.unread_count > 9 else str(conversation.unread_count)) + " "
        width = 33  # the pane's inner width; a real fix would read it from the widget
        head = f"{star}{title}"
        tail = f" {badge}{when}"
        if len(head) + len(tail) > width:
            head = head[: max(1, width - len(tail) - 1)] + "…"
        preview = cl.one_line(conversation.preview) or "No messages yet"
        detail = f"{conversation.category} · {preview}"
        if len(detail) > width:
            detail = detail[: width - 1] + "…"
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(head, "bold")
        text.append(" " * (width - len(head) - len(tail)))
        text.append(tail, "dim")
        text.append("\n")
        text.append(conversation.category, "italic")
        text.append(detail[len(conversation.category) :], "dim")
        return text

    cl.row = row


def coalesce(arg: str | None) -> None:
    """session.py: hand the UI at most one ReplyDelta per `arg` ms (default 33,
    two frames) instead of one per SSE chunk. A real fix would flush on a timer too;
    here a pause in the stream holds the pending text until the next chunk or the end."""
    import time

    import promptstudio_tui.session as session
    from promptstudio_tui.events import ReplyDelta

    window = int(arg or 33) / 1000
    original = session.Session._start

    async def merged(events):  # type: ignore[no-untyped-def]
        pending, started = None, 0.0
        try:
            async for event in events:
                if isinstance(event, ReplyDelta):
                    if pending is None:
                        pending, started = event, time.monotonic()
                    else:
                        pending = ReplyDelta(event.message_id, pending.text + event.text, event.completion_tokens)
                    if time.monotonic() - started >= window:
                        yield pending
                        pending = None
                    continue
                if pending is not None:
                    yield pending
                    pending = None
                yield event
            if pending is not None:
                yield pending
        finally:
            await events.aclose()

    def _start(self, conversation_id, kind, events):  # type: ignore[no-untyped-def]
        return original(self, conversation_id, kind, merged(events))

    session.Session._start = _start  # type: ignore[method-assign]


def keyorder(_arg: str | None) -> None:
    """keyorder.py: without OrderedKeys (keys forwarded as Textual does), to see what
    holding each key until the previous one's trip is done costs while typing."""
    from textual.app import App

    from promptstudio_tui.keyorder import OrderedKeys

    OrderedKeys.on_event = App.on_event  # type: ignore[method-assign]


def nowarm(_arg: str | None) -> None:
    """studio.py / screens/warm_up.py: no warm-up after the first frame (tokenizer, openai
    and Pygments load on first use), to see what the warm-up costs whatever runs meanwhile."""
    import promptstudio_tui.screens.warm_up as warm_up
    from promptstudio_tui.studio import Studio

    Studio.warm_up = lambda self: None  # type: ignore[method-assign]
    warm_up.WARM_LANGUAGES = ()


PATCHES = {
    "coalesce": coalesce,
    "nolastchild": nolastchild,
    "history": history,
    "listpage": listpage,
    "textrows": textrows,
    "nokeyorder": keyorder,
    "nowarm": nowarm,
}


def apply(spec: str) -> None:
    for item in filter(None, spec.split(",")):
        name, _, arg = item.partition(":")
        PATCHES[name](arg or None)


if __name__ == "__main__":
    apply(sys.argv[1])
    from promptstudio_tui.cli import main

    raise SystemExit(main(sys.argv[2:]))
