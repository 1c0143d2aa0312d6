"""The kanban without the mouse: quick-create in a column, then move the card with the keyboard."""

from __future__ import annotations

from playwright.sync_api import expect

NAME = "Coffee break 40 pax — E2E keyboard"


def _stage_id(app, name: str) -> int:
    return app.query("SELECT id FROM stage WHERE name = ? AND team_id IS NULL", name)[0][0]


def test_quick_create_then_move_with_keyboard(app_server, new_user_context):
    page = new_user_context("dewi")
    page.goto("/pipeline")
    expect(page.locator("#kanban-board")).to_be_visible()
    page.locator("#pipeline-search").fill("Coffee break 40 pax")
    new_column = page.locator("#kanban-column-new")
    expect(new_column.locator(".kanban-card")).to_have_count(0)

    page.locator(f"#quick-create-{_stage_id(app_server, 'New')}").click()
    page.locator("#quick-name").fill(NAME)
    page.locator("#quick-revenue").fill("2.500.000")
    page.locator("#quick-save").click()

    card = new_column.locator(".kanban-card", has_text=NAME)
    expect(card).to_be_visible()
    expect(card).to_contain_text("Rp 2.500.000")
    # The column header counts the card and sums its revenue.
    expect(new_column.locator(".column-sum")).to_contain_text("2.500.000")
    rows = app_server.query("SELECT id, expected_revenue, owner_id FROM opportunity WHERE name = ?", NAME)
    assert len(rows) == 1 and float(rows[0][1]) == 2_500_000
    opp_id = rows[0][0]

    # Keyboard: focus the card, ArrowRight moves it to the next stage.
    page.locator(f"#kanban-card-{opp_id}").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#kanban-column-qualified").locator(f"#kanban-card-{opp_id}")).to_be_visible()
    expect(new_column.locator(f"#kanban-card-{opp_id}")).to_have_count(0)
    stage = app_server.query("SELECT s.name FROM opportunity o JOIN stage s ON s.id = o.stage_id WHERE o.id = ?", opp_id)
    assert stage == [("Qualified",)]

    # The move is kept: a reload shows the card where it was put.
    page.reload()
    page.locator("#pipeline-search").fill("Coffee break 40 pax")
    expect(page.locator("#kanban-column-qualified").locator(f"#kanban-card-{opp_id}")).to_be_visible()


def test_admin_adds_a_stage_and_the_board_shows_it(app_server, new_user_context):
    admin = new_user_context("admin")
    admin.goto("/pipeline/stages")
    expect(admin.locator("#stage-add")).to_be_visible()
    admin.locator("#stage-new-name").fill("Tasting")
    admin.locator("#stage-new-probability").fill("60")
    admin.locator("#stage-add").click()
    expect(admin.locator("input[value='Tasting']")).to_be_visible()
    assert app_server.query("SELECT probability FROM stage WHERE name = 'Tasting'") == [(60,)]
    admin.goto("/pipeline")
    expect(admin.locator("#kanban-column-tasting")).to_be_visible()
    # A salesperson sees the stage settings but cannot change them.
    dewi = new_user_context("dewi")
    dewi.goto("/pipeline/stages")
    expect(dewi.get_by_text("Only managers and administrators change stages.")).to_be_visible()
    expect(dewi.locator("#stage-add")).to_have_count(0)
