"""Managers' view in the browser: the sales dashboard draws real plotly charts, a click on a stage bar
lists that stage's deals and filters the other figures until its chip is removed, the date filter
changes the figures; the report builder saves, pins and
exports; the map draws Indonesia, the customers and the province totals with the network blocked,
and a box selection lists the customers inside it."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.helpers import is_local, wait_settled


def _open(page, path: str) -> None:
    since = time.monotonic()
    page.goto(path)
    wait_settled(page, since)


def _click_center(page, locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(150)
    page.mouse.click(x, y)


def test_dashboard_charts_drill_down_and_date_filter(app_server, new_user_context):
    admin = new_user_context("admin")
    _open(admin, "/dashboard")
    stage_chart = admin.locator("#chart-stage")
    expect(stage_chart.locator(".main-svg").first).to_be_visible(timeout=20_000)
    expect(stage_chart.locator(".xtick text")).to_have_text(["New", "Qualified", "Proposition", "Negotiation", "Won"])
    for chart in ("#chart-period", "#chart-source", "#chart-forecast", "#chart-trend", "#chart-top"):
        expect(admin.locator(f"{chart} .main-svg").first).to_be_visible()
    open_count = app_server.query("SELECT COUNT(*) FROM opportunity WHERE state = 'open'")[0][0]
    expect(admin.locator("#kpi-open")).to_have_text(str(open_count))

    # a click on the Negotiation bar lists exactly the open deals in Negotiation
    negotiation = app_server.query(
        "SELECT COUNT(*) FROM opportunity o JOIN stage s ON s.id = o.stage_id WHERE s.name = 'Negotiation' AND o.state = 'open'"
    )[0][0]
    assert negotiation > 0
    _click_center(admin, stage_chart.locator(".barlayer .trace").first.locator(".point path").nth(3))
    expect(admin.locator("#drill-title")).to_contain_text("Negotiation")
    expect(admin.locator("#drill-total")).to_have_text(str(negotiation))
    rows = admin.locator(".drill-row")
    expect(rows.first).to_be_visible()
    for i in range(rows.count()):
        expect(rows.nth(i).locator("td").nth(2)).to_have_text("Negotiation")
    name = rows.first.locator("td").first.inner_text()
    rows.first.locator("a").click()
    expect(admin.locator("#field-name")).to_have_value(name)

    # a date range with no deals empties the figures; "All time" brings them back
    _open(admin, "/dashboard")
    expect(admin.locator("#kpi-open")).to_have_text(str(open_count))
    admin.locator("#date-from").fill("2001-01-01")
    admin.locator("#date-to").fill("2001-12-31")
    admin.locator("#apply-dates").click()
    expect(admin.locator("#kpi-open")).to_have_text("0")
    expect(admin.locator("#kpi-won-lost")).to_have_text("0 / 0")
    admin.locator("#quick-picks").get_by_role("radio", name="All time").click()
    expect(admin.locator("#kpi-open")).to_have_text(str(open_count))

    # the closing-date chart zooms year -> quarter with breadcrumbs
    admin.locator("#period-years").click()
    period_bars = admin.locator("#chart-period .barlayer .point path")
    expect(period_bars.first).to_be_visible()
    year_ticks = admin.locator("#chart-period .xtick text")
    expect(year_ticks.first).to_have_text(re.compile(r"^\d{4}$"))
    visible_bar = next(period_bars.nth(i) for i in range(period_bars.count()) if (period_bars.nth(i).bounding_box() or {}).get("height", 0) > 2)
    _click_center(admin, visible_bar)
    expect(admin.locator(".period-crumb")).to_have_count(2)
    expect(admin.locator("#chart-period .xtick text").first).to_have_text(re.compile(r"^\d{4}-Q[1-4]$"))


def test_a_salesperson_sees_only_their_teams_numbers(app_server, new_user_context):
    dewi = new_user_context("dewi")
    _open(dewi, "/dashboard")
    dewi_id = app_server.query("SELECT id FROM app_user WHERE username = 'dewi'")[0][0]
    team = app_server.query("SELECT team_id FROM app_user WHERE id = ?", dewi_id)[0][0]
    visible = app_server.query(
        "SELECT COUNT(*) FROM opportunity o JOIN app_user u ON u.id = o.owner_id WHERE o.state = 'open' AND u.team_id = ?", team
    )[0][0]
    expect(dewi.locator("#kpi-open")).to_have_text(str(visible))
    everyone = app_server.query("SELECT COUNT(*) FROM opportunity WHERE state = 'open'")[0][0]
    assert visible < everyone


def test_report_builder_saves_pins_and_exports(app_server, new_user_context):
    sari = new_user_context("sari")
    _open(sari, "/reports")
    expect(sari.locator(".report-row").first).to_be_visible(timeout=20_000)
    sari.locator("#report-module").select_option("leads")
    sari.locator("#report-group-by").select_option("source")
    expect(sari.locator("#report-table")).to_contain_text("Referral")
    leads = app_server.query("SELECT COUNT(*) FROM lead")[0][0]
    expect(sari.locator(".report-foot")).to_contain_text(str(leads))
    expect(sari.locator("#report-chart-plot .main-svg").first).to_be_visible()

    sari.locator("#report-save").click()
    expect(sari.locator("#error-name")).to_be_visible()  # a report needs a name, said at the field
    sari.locator("#report-name").fill("Leads by source")
    sari.locator("#report-save").click()
    expect(sari.get_by_text("Report saved.")).to_be_visible()
    saved = sari.locator(".saved-report", has_text="Leads by source")
    expect(saved).to_be_visible()
    saved.get_by_role("checkbox").click()
    expect(sari.get_by_text("Pinned to your dashboard.")).to_be_visible()

    with sari.expect_download() as download_info:
        sari.locator("#export-csv").click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][0] == "Lead source" or "source" in rows[0][0].lower()
    assert sum(int(r[-1]) for r in rows[1:]) == leads

    _open(sari, "/dashboard")
    pinned = sari.locator(".pinned-report", has_text="Leads by source")
    expect(pinned.locator(".main-svg").first).to_be_visible(timeout=20_000)


def test_map_draws_offline_and_a_box_selection_lists_customers(app_server, new_user_context):
    page = new_user_context("sari")
    blocked = []

    def guard(route):
        if is_local(route.request.url):
            route.continue_()
        else:  # the network is blocked for this browser: the map must not need it
            blocked.append(route.request.url)
            route.abort()

    page.context.route("**/*", guard)
    _open(page, "/map")
    world = page.locator("#customer-map")
    expect(world.locator(".main-svg").first).to_be_visible(timeout=20_000)
    expect(world.locator("g.layer.countries path")).to_have_count(1)
    expect(world.locator("g.layer.land path")).to_have_count(1)
    placed = app_server.query("SELECT COUNT(*) FROM customer WHERE latitude IS NOT NULL")[0][0]
    expect(page.locator("#map-count")).to_have_text(f"{placed} customers on the map")
    expect(world.locator(".scattergeo .point").first).to_be_attached()
    assert world.locator(".scattergeo .point").count() >= placed
    expect(world.locator(".legendtext", has_text="Province totals")).to_be_visible()
    expect(page.locator(".province-row", has_text="DKI Jakarta")).to_be_visible()

    # drag a box over western Java (Jakarta and around): the customers inside are listed
    def at(lon: float, lat: float) -> tuple[float, float]:
        """Page coordinates of a point of the map, from plotly's own projection."""
        return page.evaluate(
            """([lon, lat]) => {
                const gd = document.querySelector('#customer-map.js-plotly-plot') || document.querySelector('#customer-map .js-plotly-plot');
                const svg = gd.querySelector('.main-svg').getBoundingClientRect();
                const [x, y] = gd._fullLayout.geo._subplot.projection([lon, lat]);
                return [svg.x + gd._fullLayout._size.l + x, svg.y + gd._fullLayout._size.t + y];
            }""",
            [lon, lat],
        )

    x0, y0 = at(106.3, -5.8)
    x1, y1 = at(107.3, -6.9)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()
    expect(page.locator("#selection-panel")).to_be_visible()
    expect(page.locator(".selected-row").first).to_be_visible()
    expect(page.locator("#selection-panel")).to_contain_text("Jakarta")
    assert blocked == []


def test_a_stage_click_filters_the_dashboard_until_its_chip_is_removed(app_server, new_user_context):
    admin = new_user_context("admin")
    _open(admin, "/dashboard")
    stage_chart = admin.locator("#chart-stage")
    expect(stage_chart.locator(".main-svg").first).to_be_visible(timeout=20_000)
    stages = ["New", "Qualified", "Proposition", "Negotiation", "Won"]
    expect(stage_chart.locator(".xtick text")).to_have_text(stages)
    closed = "SELECT COALESCE(SUM(CASE WHEN o.state = 'won' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN o.state = 'lost' THEN 1 ELSE 0 END), 0) FROM opportunity o JOIN stage s ON s.id = o.stage_id WHERE o.closed_at IS NOT NULL"
    open_count = app_server.query("SELECT COUNT(*) FROM opportunity WHERE state = 'open'")[0][0]
    won, lost = app_server.query(closed)[0]
    expect(admin.locator("#kpi-open")).to_have_text(str(open_count))
    expect(admin.locator("#kpi-won-lost")).to_have_text(f"{won} / {lost}")

    # a click on the Negotiation bar lists its open deals and turns the other figures to Negotiation's deals
    negotiation = app_server.query(
        "SELECT COUNT(*) FROM opportunity o JOIN stage s ON s.id = o.stage_id WHERE s.name = 'Negotiation' AND o.state = 'open'"
    )[0][0]
    won_there, lost_there = app_server.query(closed + " AND s.name = 'Negotiation'")[0]
    assert 0 < negotiation < open_count and (won_there, lost_there) != (won, lost)
    _click_center(admin, stage_chart.locator(".barlayer .trace").first.locator(".point path").nth(3))
    expect(admin.locator("#chip-stage")).to_have_text("Stage: Negotiation")
    expect(admin.locator("#drill-title")).to_contain_text("Negotiation")
    expect(admin.locator("#drill-total")).to_have_text(str(negotiation))
    expect(admin.locator("#kpi-open")).to_have_text(str(negotiation))
    expect(admin.locator("#kpi-won-lost")).to_have_text(f"{won_there} / {lost_there}")
    expect(stage_chart.locator(".xtick text")).to_have_text(stages)  # the stage chart keeps every stage to pick another

    # removing the chip brings every figure back
    admin.locator("#chip-stage-remove").click()
    expect(admin.locator("#chip-stage")).to_have_count(0)
    expect(admin.locator("#kpi-open")).to_have_text(str(open_count))
    expect(admin.locator("#kpi-won-lost")).to_have_text(f"{won} / {lost}")


def test_a_customers_point_is_picked_on_the_map_in_the_form(app_server, new_user_context):
    """Offline map in a dialog: a click places the point where the pointer is (the projection inverted
    in the browser), zooming makes it precise, a click outside Indonesia says so, "Use this point"
    fills the form and saving stores it as manual coordinates."""
    page = new_user_context("admin")
    customer_id, name = app_server.query("SELECT id, name FROM customer WHERE city = 'Jakarta Pusat' AND kind = 'company' ORDER BY id LIMIT 1")[0]
    _open(page, f"/customers/{customer_id}")
    expect(page.locator("#field-name")).to_have_value(name)
    page.locator("#pick-on-map").click()
    dialog = page.locator("#pick-dialog")
    expect(dialog.locator(".main-svg").first).to_be_visible(timeout=20_000)
    expect(dialog.locator("g.layer.land path")).to_have_count(1)  # drawn from the bundled outlines
    expect(dialog.locator(".scattergeo text", has_text="Kota Administrasi Jakarta Pusat")).to_be_attached()
    expect(page.locator("#pick-point")).to_be_visible()  # the form's (gazetteer) coordinates are the start

    def at(lon: float, lat: float) -> tuple[float, float]:
        return page.evaluate(
            """([lon, lat]) => {
                const gd = document.querySelector('#pick-map .js-plotly-plot');
                const svg = gd.querySelector('.main-svg').getBoundingClientRect();
                const [x, y] = gd._fullLayout.geo._subplot.projection([lon, lat]);
                return [svg.x + gd._fullLayout._size.l + x, svg.y + gd._fullLayout._size.t + y];
            }""",
            [lon, lat],
        )

    def chosen() -> tuple[float, float]:
        lat, lon = page.locator("#pick-point").inner_text().split(",")
        return float(lat), float(lon)

    def click_at(lon: float, lat: float, tolerance: float) -> None:
        before = page.locator("#pick-point").inner_text() if page.locator("#pick-point").count() else ""
        page.mouse.click(*at(lon, lat))
        expect(page.locator("#pick-point")).not_to_have_text(before)
        got = chosen()
        assert abs(got[0] - lat) < tolerance and abs(got[1] - lon) < tolerance, (got, lat, lon)

    click_at(106.8272, -6.1754, 0.01)  # Monas, at city zoom: within about a kilometre
    page.locator("#pick-zoom-in").click()
    page.locator("#pick-zoom-in").click()
    page.wait_for_timeout(400)
    click_at(106.82715, -6.17539, 0.0008)  # two levels closer: within about 90 m

    # zoomed out to the whole country, a click in the sea north of Aceh is outside Indonesia
    for _ in range(8):
        page.locator("#pick-zoom-out").click()
    page.wait_for_timeout(400)
    kept = page.locator("#pick-point").inner_text()
    page.mouse.click(*at(95.0, 6.9))
    expect(page.locator("#pick-error")).to_have_text("That point is outside Indonesia: pick a place in Indonesia.")
    expect(page.locator("#pick-point")).to_have_text(kept)  # the chosen point stays

    page.locator("#pick-use").click()
    expect(dialog).to_have_count(0)
    lat, lon = (float(v) for v in kept.split(","))
    expect(page.locator("#field-latitude")).to_have_value(f"{lat:.5f}")
    expect(page.locator("#field-longitude")).to_have_value(f"{lon:.5f}")
    page.locator("#customer-save").click()
    expect(page.get_by_text("Customer saved")).to_be_visible()
    stored = app_server.query(f"SELECT latitude, longitude, geo_source FROM customer WHERE id = {customer_id}")[0]
    assert (round(stored[0], 5), round(stored[1], 5), stored[2]) == (lat, lon, "manual")
