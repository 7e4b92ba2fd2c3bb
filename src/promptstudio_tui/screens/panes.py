"""Which side panes show: on a wide screen in place beside the chat (remembered across
sessions), on a narrow one floating over it (one at a time, forgotten on closing); and
the chat or the prompt pane zoomed to the full screen.

The screen's classes carry it (-left-open, -overlay-right, …) and styles.tcss lays the
panes out from them, so showing a pane is one class change, not a restyle per widget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from promptstudio_tui.screens.main import StudioScreen
    from promptstudio_tui.studio import Studio

NARROW, WIDE = 60, 100  # below WIDE the side panes become overlays; below NARROW only the chat shows
# The screen's width classes, as Textual's HORIZONTAL_BREAKPOINTS: (from this width, class).
BREAKPOINTS = [(0, "-tiny"), (NARROW, "-narrow"), (WIDE, "-wide")]

Pane = Literal["left", "right"]
Zoomable = Literal["centre", "right"]


class Panes:
    def __init__(self, screen: StudioScreen, studio: Studio) -> None:
        """Made before the screen is set up: `classes()` gives the screen its classes up front."""
        self.screen = screen
        self.studio = studio
        self.shown: dict[str, bool] = {pane: studio.preference(f"ui.{pane}_pane", True) for pane in ("left", "right")}
        self.overlay: Pane | None = None  # the side pane floating over a narrow screen
        self.zoomed: Zoomable | None = None  # the part on the full screen (for this session)

    @staticmethod
    def width_class(width: int) -> str:
        """The breakpoint class Textual gives a screen this wide (on its first Resize)."""
        return next(name for start, name in reversed(BREAKPOINTS) if width >= start)

    def classes(self) -> dict[str, bool]:
        return {
            "-left-open": self.shown["left"],
            "-right-open": self.shown["right"],
            "-overlay-left": self.overlay == "left",
            "-overlay-right": self.overlay == "right",
            "-zoom-centre": self.zoomed == "centre",
            "-zoom-right": self.zoomed == "right",
        }

    def _apply(self) -> None:
        screen = self.screen
        wanted = self.classes()
        add = [name for name, on in wanted.items() if on and not screen.has_class(name)]
        remove = [name for name, on in wanted.items() if not on and screen.has_class(name)]
        # One call each way: every class change restyles the whole screen.
        if add:
            screen.add_class(*add)
        if remove:
            screen.remove_class(*remove)

    def _wide(self) -> bool:
        return self.screen.size.width >= WIDE

    def visible(self, pane: Pane) -> bool:
        return self.shown[pane] if self._wide() else self.overlay == pane

    def set(self, pane: Pane, visible: bool) -> None:
        """Wide: show or hide in place, remembered. Narrow: float over the chat, or not."""
        if self._wide():
            self.shown[pane] = visible
            self.studio.set_preference(f"ui.{pane}_pane", visible)
        elif visible:
            self.overlay = pane
        elif self.overlay == pane:
            self.overlay = None
        self._apply()
        if not visible:
            self.screen.composer.focus_input()

    def reveal(self, pane: Pane) -> None:
        if not self.visible(pane):
            self.set(pane, True)

    def toggle(self, pane: Pane) -> bool:
        """Show or hide a side pane; True when it is now visible."""
        visible = not self.visible(pane)
        self.set(pane, visible)
        return visible

    def close_overlay(self) -> bool:
        """Close the pane floating over the chat, if one is; True when one was."""
        if self.overlay is None:
            return False
        self.set(self.overlay, False)
        return True

    def zoom(self) -> Zoomable | None:
        """The focused part (the prompt pane, else the chat) to the full screen, or back; what is zoomed now."""
        if self.zoomed is not None:
            self.zoomed = None
        else:
            self.zoomed = "right" if self._focus_in("right") else "centre"
        self._apply()
        if self.zoomed == "centre" and not self._focus_in("centre"):
            self.screen.composer.focus_input()  # the list's keys must not act unseen
        return self.zoomed

    def _focus_in(self, part: str) -> bool:
        focused = self.screen.focused
        return focused is not None and any(node.id == part for node in focused.ancestors_with_self)

    def resized(self) -> None:
        """Grown wide: a floating pane goes back to its place."""
        if self._wide() and self.overlay is not None:
            self.overlay = None
            self._apply()
