"""The StudioScreen's actions for the workshop's runs (a mixin: keys, buttons and the palette
name these; each hands over to the controller in screens/testing.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from promptstudio_tui.messages import MatrixRowChosen
    from promptstudio_tui.screens.testing import Testing


class TestingActions:
    """Mixed into StudioScreen, which makes `testing` on first use."""

    if TYPE_CHECKING:

        @property
        def testing(self) -> Testing: ...

    def action_try_prompt(self) -> None:
        self.testing.fill("try")

    def action_fill_variables(self) -> None:
        self.testing.fill("copy")

    def action_save_case(self) -> None:
        self.testing.save_case()

    async def action_test_prompt(self) -> None:
        await self.testing.test()

    def action_compare_runs(self) -> None:
        self.testing.compare()

    def action_propose_cases(self) -> None:
        self.testing.propose()

    def action_zoom_work(self) -> None:
        self.testing.zoom()

    def action_close_work(self) -> None:
        self.testing.close()

    def on_matrix_row_chosen(self, message: MatrixRowChosen) -> None:
        self.testing.detail(message.key)
