"""The permission engine: each profile against each module action, field hiding in reads and lists,
refused writes to read-only fields, and an administrator's profile change taking effect."""

from __future__ import annotations

import pytest
from sqlmodel import select

from kaktus_app.auth import permissions
from kaktus_app.auth.models import Profile, User
from kaktus_app.auth.service import actor_for
from kaktus_app.catalog import service as catalog
from kaktus_app.customers import service as customers
from kaktus_app.errors import PermissionDenied, ValidationError
from kaktus_app.sales import service as sales


@pytest.fixture
def rina(seeded):
    return actor_for(seeded.exec(select(User).where(User.username == "rina")).one())


EXPECTED = {
    # profile: {module: allowed actions}
    "sales": {"customers": "create read update export", "leads": "create read update delete export", "products": "read", "purchasing": ""},
    "support": {"customers": "read update", "leads": "read", "opportunities": "read", "products": "read", "quotations": "read"},
    "manager": {m: "create read update delete export import" for m in permissions.MODULES},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_profile_against_each_module_action(seeded, role):
    actor = actor_for(seeded.exec(select(User).where(User.username == "dewi")).one())
    actor = type(actor)(actor.id, actor.username, actor.full_name, role, actor.team_id)
    for module, allowed in EXPECTED[role].items():
        for action in permissions.ACTIONS:
            assert permissions.can(seeded, actor, module, action) == (action in allowed.split()), (role, module, action)


def test_admin_may_do_everything(seeded, admin):
    assert all(permissions.can(seeded, admin, m, a) for m in permissions.MODULES for a in permissions.ACTIONS)


def test_refused_actions_raise_in_the_service(seeded, dewi, rina, admin):
    customer = customers.create_customer(seeded, dewi, {"kind": "company", "name": "PT. KITA", "npwp": "01.234.567.8-901.000"})
    with pytest.raises(PermissionDenied) as refused:
        customers.create_customer(seeded, rina, {"kind": "company", "name": "CV. Support"})
    assert refused.value.message("en") == "Your role may not do that (create in customers)."
    with pytest.raises(PermissionDenied):
        sales.create_opportunity(seeded, rina, {"name": "Nasi box", "expected_revenue": "1"})
    with pytest.raises(PermissionDenied):
        catalog.create_product(seeded, dewi, {"code": "X", "name": "X", "category": "nasi_box", "uom": "box", "sale_price": "1"})
    # support may update a customer, but its tax id is read-only for them
    with pytest.raises(ValidationError) as readonly:
        customers.update_customer(seeded, rina, customer.id, {**customers.get_customer(seeded, rina, customer.id), "npwp": "09.999.999.9-999.000"})
    assert readonly.value.errors == {"npwp": "error.field_readonly"}
    customers.update_customer(seeded, rina, customer.id, {**customers.get_customer(seeded, rina, customer.id), "city": "Bekasi"})
    assert customers.get_customer(seeded, admin, customer.id)["npwp"] == "01.234.567.8-901.000"


def test_hidden_fields_are_left_out_of_reads_and_lists(seeded, admin, dewi):
    product = catalog.create_product(seeded, admin, {"code": "NB-1", "name": "Nasi box", "category": "nasi_box", "uom": "box", "sale_price": "35.000", "cost": "21.000"})
    assert catalog.get_product(seeded, admin, product.id)["cost_label"] == "Rp 21.000"
    seen = catalog.get_product(seeded, dewi, product.id)
    assert seen["cost"] == "" and seen["cost_label"] == "" and seen["margin_label"] == ""
    row = catalog.list_products(seeded, dewi, sort="cost")["rows"][0]
    assert row["cost_label"] == "" and row["sale_price_label"] == "Rp 35.000"


def test_an_admin_changes_a_profile_and_it_takes_effect(seeded, admin, dewi):
    product = catalog.create_product(seeded, admin, {"code": "NB-1", "name": "Nasi box", "category": "nasi_box", "uom": "box", "sale_price": "35.000", "cost": "21.000"})
    sales_profile = seeded.exec(select(Profile).where(Profile.key == "sales")).one()
    with pytest.raises(PermissionDenied):
        permissions.update_profile(seeded, dewi, sales_profile.id, {}, {})
    current = permissions.list_profiles(seeded)
    perms = next(p for p in current if p["key"] == "sales")["permissions"]
    permissions.update_profile(seeded, admin, sales_profile.id, {**perms, "products": ["read", "update"]}, {})
    seeded.info.pop("access", None)
    assert catalog.get_product(seeded, dewi, product.id)["cost_label"] == "Rp 21.000"
    catalog.update_product(seeded, dewi, product.id, {"sale_price": "36.000"})
    from kaktus_app.auth.models import AuditLog

    change = seeded.exec(select(AuditLog).where(AuditLog.module == "profiles").order_by(AuditLog.id.desc())).first()
    assert change.action == "permission_change" and "products" in change.changes


def test_records_are_visible_up_the_role_tree_and_by_sharing_rule(seeded, dewi, budi, sari, admin):
    from kaktus_app.auth.models import SharingRule
    from kaktus_app.errors import NotFound
    from kaktus_app.search import service as search

    dewis = sales.create_opportunity(seeded, dewi, {"name": "Nasi box Dewi", "expected_revenue": "1"})
    budis = sales.create_opportunity(seeded, budi, {"name": "Nasi box Budi", "expected_revenue": "1"})
    names = lambda actor: {r["name"] for r in sales.list_opportunities(seeded, actor)["rows"]}  # noqa: E731
    # Salespeople of different teams: each sees only their own (opportunities are shared per team).
    assert names(dewi) == {"Nasi box Dewi"} and names(budi) == {"Nasi box Budi"}
    with pytest.raises(NotFound):
        sales.get_opportunity(seeded, budi, dewis.id)
    with pytest.raises(NotFound):
        sales.move_opportunity(seeded, budi, dewis.id, dewis.stage_id)
    board = sales.board(seeded, budi)
    assert {c["name"] for col in board["columns"] for c in col["cards"]} == {"Nasi box Budi"}
    assert [o["id"] for o in search.search(seeded, budi, "nasi box")["opportunities"]] == [budis.id]
    # The sales manager above them and the administrator see both.
    assert names(sari) == names(admin) == {"Nasi box Dewi", "Nasi box Budi"}
    # A sharing rule opens the module to everybody.
    rule = seeded.exec(select(SharingRule).where(SharingRule.module == "opportunities")).one()
    rule.access = "all"
    seeded.add(rule)
    seeded.info.pop("visible", None)
    assert names(budi) == {"Nasi box Dewi", "Nasi box Budi"}


def test_role_tree_edits_refuse_cycles_and_move_visibility(seeded, admin, dewi, budi):
    from kaktus_app.auth.models import Role, User
    from kaktus_app.errors import NotFound

    tree = {r["name"]: r for r in permissions.role_tree(seeded)}
    assert tree["Director"]["depth"] == 0 and tree["Salesperson"]["depth"] == 2 and "Dewi Lestari" in tree["Salesperson"]["people"]
    with pytest.raises(ValidationError) as cycle:
        permissions.save_role(seeded, admin, tree["Director"]["id"], {"name": "Director", "parent_id": tree["Salesperson"]["id"], "profile_key": "admin"})
    assert cycle.value.errors == {"parent_id": "roles.error.cycle"}
    with pytest.raises(PermissionDenied):
        permissions.save_role(seeded, dewi, None, {"name": "Boss", "profile_key": "sales"})
    lead = permissions.save_role(seeded, admin, None, {"name": "Team Lead Corporate", "parent_id": tree["Sales Manager"]["id"], "profile_key": "sales"})
    # budi's role moves below dewi's new lead role: dewi (placed there) now sees budi's deals.
    permissions.save_role(seeded, admin, tree["Salesperson"]["id"], {"name": "Salesperson", "parent_id": lead.id, "profile_key": "sales"})
    dewi_user = seeded.get(User, dewi.id)
    dewi_user.role_id = lead.id
    seeded.add(dewi_user)
    seeded.info.pop("visible", None)
    budis = sales.create_opportunity(seeded, budi, {"name": "Budi's", "expected_revenue": "1"})
    assert sales.get_opportunity(seeded, dewi, budis.id)["name"] == "Budi's"
    permissions.set_sharing(seeded, admin, "opportunities", "private")
    with pytest.raises(NotFound):
        sales.get_opportunity(seeded, budi, sales.create_opportunity(seeded, dewi, {"name": "Dewi's", "expected_revenue": "1"}).id)
    assert seeded.exec(select(Role).where(Role.name == "Team Lead Corporate")).one().parent_id == tree["Sales Manager"]["id"]


def test_narrowed_sharing_applies_to_customers_and_leads_too(seeded, admin, dewi, budi, sari):
    from kaktus_app.errors import NotFound
    from kaktus_app.leads import service as leads
    from kaktus_app.search import service as search

    kita = customers.create_customer(seeded, dewi, {"kind": "company", "name": "PT. KITA"})
    lead = leads.create_lead(seeded, dewi, {"title": "Nasi box KITA", "customer_id": kita.id})
    assert customers.list_customers(seeded, budi, search="kita")["total"] == 1  # shipped: open to all
    permissions.set_sharing(seeded, admin, "customers", "private")
    permissions.set_sharing(seeded, admin, "leads", "private")
    seeded.info.pop("visible", None)
    assert customers.list_customers(seeded, budi, search="kita")["total"] == 0
    assert leads.list_leads(seeded, budi)["total"] == 0
    with pytest.raises(NotFound):
        customers.get_customer(seeded, budi, kita.id)
    with pytest.raises(NotFound):
        leads.get_lead(seeded, budi, lead.id)
    found = search.search(seeded, budi, "kita")
    assert found["customers"] == [] and found["leads"] == []
    assert customers.list_customers(seeded, sari, search="kita")["total"] == 1
    assert [r["id"] for r in search.search(seeded, dewi, "kita")["customers"]] == [kita.id]


def test_customer_pickers_follow_the_sharing_rule(seeded, admin, dewi, budi):
    from kaktus_app.auth.audit import current_actor

    customers.create_customer(seeded, dewi, {"kind": "company", "name": "PT. KITA"})
    permissions.set_sharing(seeded, admin, "customers", "private")
    seeded.info.pop("visible", None)
    token = current_actor.set(budi)
    try:
        assert customers.customer_options(seeded, "kita") == []
    finally:
        current_actor.reset(token)
    seeded.info["actor"] = dewi
    assert [c["name"] for c in customers.customer_options(seeded, "kita")] == ["PT. KITA"]
