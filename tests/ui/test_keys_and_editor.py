"""Keys that never type by accident, and the editor as programmers expect it, driven with Pilot."""

from __future__ import annotations

from textual.widgets import TabbedContent, Tree
from textual.widgets._tabbed_content import ContentTabs

from tutor.ui.screens.help import HelpScreen
from tutor.ui.screens.lesson import LessonScreen
from tutor.ui.widgets.editor import BlockEditor
from tutor.ui.widgets.graph_view import GraphView
from tutor.ui.widgets.hints import HintPanel
from tutor.ui.widgets.result import ResultPanel
from tutor.ui.widgets.story import StoryPanel

from conftest import AppFactory
from ui_helpers import pilot_test, plain, run_block, text_of

NARROW, WIDE = (80, 24), (120, 40)


def editor_of(screen: LessonScreen) -> BlockEditor:
    return screen.query_one(BlockEditor)


@pilot_test
async def test_shift_tab_reaches_the_editor_without_letting_keys_type(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=NARROW) as pilot:
        screen = app.screen
        editor = editor_of(screen)
        starter = editor.text
        for _ in range(8):
            if screen.focused is editor:
                break
            await pilot.press("shift+tab")
        assert screen.focused is editor
        assert not editor.editing and editor.border_subtitle == "Enter or i to edit"
        await pilot.press("z", "w", "z", "h")  # zoom, (no graph yet), zoom back, a hint
        assert editor.text == starter
        assert screen.maximized is None
        assert "Hint 1 of 3" in text_of(screen.query_one(HintPanel))


@pilot_test
async def test_enter_i_and_tab_start_editing_and_escape_always_stops(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=NARROW) as pilot:
        screen = app.screen
        editor = editor_of(screen)
        starter = editor.text

        await pilot.press("tab")  # from the story
        assert screen.focused is editor and editor.editing
        assert editor.border_subtitle == "editing · Esc leaves" and editor.has_class("-editing")
        await pilot.press("z")
        assert editor.text == "z" + starter  # typing goes into the block only now
        await pilot.press("backspace", "escape")
        assert not editor.editing and screen.focused is editor and editor.text == starter

        await pilot.press("z")  # a verb again: zooms the editor it is on
        assert screen.maximized is editor and editor.text == starter
        await pilot.press("z")
        assert screen.maximized is None

        await pilot.press("enter")  # Enter on the block starts editing
        assert editor.editing
        await pilot.press("escape")
        screen.query_one(StoryPanel).focus()
        await pilot.press("i")
        assert screen.focused is editor and editor.editing
        await pilot.press("escape")
        assert not editor.editing


@pilot_test
async def test_zoom_takes_the_whole_pane_and_toggles_back(make_app: AppFactory) -> None:
    for size in (NARROW, WIDE):
        app = make_app(lesson="inplace-residual")
        async with app.run_test(size=size) as pilot:
            screen = app.screen
            screen.query_one(ContentTabs).focus()  # the tab bar, a small widget inside the right-hand pane
            await pilot.press("z")
            assert screen.maximized is screen.query_one(TabbedContent), size
            await pilot.press("z")
            assert screen.maximized is None, size

            screen.query_one(HintPanel).focus()
            await pilot.press("z")
            assert screen.maximized is screen.query_one(HintPanel)
            await pilot.press("i")  # into the editor: the zoom that hid it goes
            assert screen.maximized is None and editor_of(screen).editing
            await pilot.press("escape")


@pilot_test
async def test_f_moves_between_the_panes_and_t_focuses_the_right_hand_one(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=NARROW) as pilot:
        screen = app.screen
        assert isinstance(screen.focused, StoryPanel)
        await pilot.press("f")
        assert screen.focused is editor_of(screen) and not editor_of(screen).editing
        await pilot.press("f")
        assert isinstance(screen.focused, ResultPanel)
        await pilot.press("f")
        assert isinstance(screen.focused, HintPanel)
        await pilot.press("f")
        assert isinstance(screen.focused, StoryPanel)
        await pilot.press("t")
        assert screen.query_one(TabbedContent).active == "tab-graph"
        assert isinstance(screen.focused, Tree)
        help_keys = [binding.action for binding in LessonScreen.BINDINGS]  # `?` lists every one of them
        assert "focus_next_pane" in help_keys and "graph_scope" in help_keys


@pilot_test
async def test_w_switches_the_graph_scope_from_any_pane_and_the_footer_says_so(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=WIDE) as pilot:
        screen = app.screen
        shown = lambda: [b.binding.action for b in screen.active_bindings.values() if b.binding.show]  # noqa: E731
        assert "graph_scope" not in shown()
        await run_block(pilot)
        await pilot.press("t")
        assert "graph_scope" in shown()
        graph = screen.query_one(GraphView)
        screen.query_one(StoryPanel).focus()
        await pilot.pause()
        assert graph.scoped
        await pilot.press("w")
        assert not graph.scoped
        assert "The whole graph" in plain(graph.query_one("#graph-summary").content)
        await pilot.press("t")  # compare: w is not offered
        assert "graph_scope" not in shown()


@pilot_test
async def test_the_editor_keys_programmers_expect(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=NARROW) as pilot:
        screen = app.screen
        editor = editor_of(screen)
        await pilot.press("i")

        await pilot.press("ctrl+a")
        assert editor.selected_text == editor.text
        await pilot.press("ctrl+end")
        assert editor.cursor_location == editor.document.end
        await pilot.press("ctrl+home")
        assert editor.cursor_location == (0, 0)

        await pilot.press("down", "end", "home")  # line 2: "    h.add_(...)"
        assert editor.cursor_location == (1, 4)  # the first non-blank
        await pilot.press("home")
        assert editor.cursor_location == (1, 0)  # then column 0
        await pilot.press("home")
        assert editor.cursor_location == (1, 4)  # and back

        await pilot.press("ctrl+home", "end", "enter", "x")  # after "def forward(...) -> torch.Tensor:"
        assert editor.document[1] == "    x"  # one level more after the colon
        await pilot.press("enter", "y")
        assert editor.document[2] == "    y"  # the indentation kept
        await pilot.press("colon", "enter", "w")  # "    y:" opens a nested block
        assert editor.document[3] == "        w"
        await pilot.press("escape")


@pilot_test
async def test_help_lists_the_editing_keys(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = plain(app.screen.query_one("#help-editing").content)
        for expected in ("Editing the block", "Ctrl+A", "select the whole block", "Ctrl+Home / Ctrl+End",
                         "one level more after a colon", "first non-blank character; again: the start of the line"):
            assert expected in shown
        keys = plain(app.screen.query_one("#help-keys").content)
        assert "whole graph / block only" in keys and "move between the panes" in keys
