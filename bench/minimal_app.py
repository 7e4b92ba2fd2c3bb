"""The baseline for first-frame ratios: a minimal Textual app (Header, Static, Footer).

bench/run.py starts it in tmux exactly like the studio and waits for READY_TEXT.
"""

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

READY_TEXT = "Minimal Textual app ready"


class MinimalApp(App):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(READY_TEXT)
        yield Footer()


if __name__ == "__main__":
    MinimalApp().run()
