"""The migrations build Flick's schema exactly, add only Flick Admin's objects, and agree
with the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from flick_admin.db import enums, schema_facts
from flick_admin.db.base import Base
from flick_admin.db.migration_helpers import compare_type, include_object_for
from flick_admin.extensions import db


def test_one_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
        heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


@pytest.mark.postgres_only
def test_baseline_equals_flick_production_schema(scratch_app):
    with scratch_app.app_context():
        upgrade(directory=scratch_app.extensions["migrate"].directory, revision="0001_flick_baseline")
        with db.engine.connect() as conn:
            live = schema_facts.live_facts(conn)
    live["tables"].pop("alembic_version")
    assert live == schema_facts.expected_facts()


@pytest.mark.postgres_only
def test_head_changes_no_flick_column_and_only_appends_enum_values(connection):
    live = schema_facts.live_facts(connection)
    expected = schema_facts.expected_facts()
    drift = schema_facts.compare(live, expected)
    assert drift.blocking == []
    for name, table in expected["tables"].items():
        assert live["tables"][name]["columns"] == table["columns"], name
        assert live["tables"][name]["constraints"] == table["constraints"], name
        live_index_names = {i["name"]: i for i in live["tables"][name]["indexes"]}
        for index in table["indexes"]:
            assert live_index_names[index["name"]] == index
    for name, labels in expected["enums"].items():
        assert live["enums"][name][: len(labels)] == labels
        assert live["enums"][name][len(labels):] == list(enums.ADMIN_ADDED.get(name, ()))


def test_models_and_migrations_do_not_drift(connection):
    context = MigrationContext.configure(
        connection, opts={
            "compare_type": compare_type,
            "target_metadata": Base.metadata,
            "include_object": include_object_for(connection.dialect.name),
        }
    )
    diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_models_map_all_twenty_flick_tables():
    expected = set(schema_facts.expected_facts()["tables"])
    assert expected <= set(Base.metadata.tables)
    assert len(expected) == 20


def test_enum_lists_are_flicks_plus_admin_values():
    reference = schema_facts.expected_facts()["enums"]
    assert {k: list(v) for k, v in enums.FLICK_ENUMS.items()} == reference
    assert enums.values("log_role") == tuple(reference["log_role"]) + ("moderator", "auditor", "triage")


def test_every_model_column_maps_to_the_reference_column_name():
    reference = schema_facts.expected_facts()["tables"]
    for name, facts in reference.items():
        table = Base.metadata.tables[name]
        assert {c.name for c in table.columns} == {c["name"] for c in facts["columns"]}, name
        for col in facts["columns"]:
            assert table.c[col["name"]].nullable == col["nullable"], (name, col["name"])


def test_sqlite_database_upgrades_from_empty(tmp_path):
    from tests.conftest import make_app

    scratch = make_app(f"sqlite:///{tmp_path}/fresh.sqlite3")
    with scratch.app_context():
        upgrade(directory=scratch.extensions["migrate"].directory)
        tables = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert set(schema_facts.expected_facts()["tables"]) <= tables
