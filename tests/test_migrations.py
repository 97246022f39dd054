"""Alembic migrations: every table, SQLite and PostgreSQL alike, models and migrations in sync,
safe when several processes migrate at once, and `python bot.py migrate`."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from bot import StartupError, create_runtime
from settings import SettingsError, load_settings
from storage import migrate
from storage.db import create_db_engine
from storage.models import Base
from tests.harness import BOT_TOKEN, SIGNING_SECRET, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET

ROOT = Path(__file__).resolve().parent.parent
OWNED_TABLES = {
    "zoom_grants", "zoom_oauth_states", "user_prefs", "digest_deliveries", "reminders", "tasks",
    "slack_installations", "slack_bots", "slack_oauth_states",
}


def all_revisions() -> list[str]:
    return [script.revision for script in reversed(list(migrate._script().walk_revisions()))]


def bot_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "ZOOM_CLIENT_ID": ZOOM_CLIENT_ID,
        "ZOOM_CLIENT_SECRET": ZOOM_CLIENT_SECRET,
        "PUBLIC_URL": "https://zoombot.example.com",
        "DATABASE_URL": database_url,
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "LOG_LEVEL": "INFO",
        **extra,
    }


def run_migrate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bot.py", "migrate"], cwd=ROOT, env={**os.environ, **env},
        capture_output=True, text=True, timeout=120,
    )


def table_names(url_or_engine: Engine | str) -> set[str]:
    engine = create_db_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        return set(inspect(engine).get_table_names())
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def assert_at_head_and_in_sync(url: str) -> None:
    assert table_names(url) == OWNED_TABLES | {"alembic_version"}
    assert migrate.current_revision(url) == all_revisions()[-1]
    assert not migrate.pending(url)
    assert migrate.check_models_match(url) == []


# -- SQLite ---------------------------------------------------------------------------------


def test_an_empty_sqlite_database_upgrades_to_head_and_agrees_with_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'zoombot.db'}"
    assert migrate.pending(url)
    assert migrate.current_revision(url) is None

    assert migrate.upgrade_to_head(url) == all_revisions()

    assert_at_head_and_in_sync(url)


def test_upgrading_a_database_at_head_again_does_nothing(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'zoombot.db'}")
    try:
        assert migrate.upgrade_to_head(engine) == all_revisions()
        assert migrate.upgrade_to_head(engine) == []
        assert migrate.upgrade_to_head(engine) == []
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            # The upgrade turned foreign keys off for batch mode; the pooled connection has them back.
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_threads_migrating_one_sqlite_file_at_once_apply_each_revision_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'zoombot.db'}"
    start = threading.Barrier(3)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def upgrade() -> None:
        engine = create_db_engine(url)  # an engine each, as separate processes would have
        try:
            start.wait()
            results.append(migrate.upgrade_to_head(engine))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results, key=len) == [[], [], all_revisions()]
    assert_at_head_and_in_sync(url)


def test_migration_files_write_utcdatetime_as_a_plain_timezone_aware_datetime(tmp_path: Path) -> None:
    from alembic.autogenerate import produce_migrations, render_python_code
    from alembic.runtime.migration import MigrationContext

    engine = create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts=migrate.context_options())
            code = render_python_code(produce_migrations(context, migrate.target_metadata()).upgrade_ops,
                                      render_item=migrate.render_item)
    finally:
        engine.dispose()
    assert "UTCDateTime" not in code and "storage." not in code
    assert 'sa.Column("expires_at", sa.DateTime(timezone=True)' in code.replace("'", '"')
    for path in (ROOT / "migrations" / "versions").glob("*.py"):
        source = path.read_text()
        assert "import storage" not in source and "from storage" not in source, f"{path.name} imports zoombot"


def test_python_bot_py_migrate_applies_the_revisions_and_says_so(tmp_path: Path) -> None:
    env = bot_env(f"sqlite:///{tmp_path / 'zoombot.db'}")

    first = run_migrate(env)
    assert first.returncode == 0, first.stderr
    assert f"applied migration(s) {', '.join(all_revisions())}" in first.stdout

    again = run_migrate(env)
    assert again.returncode == 0, again.stderr
    assert f"up to date (at {all_revisions()[-1]}); nothing to apply" in again.stdout


def test_the_bot_migrates_an_empty_database_at_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'zoombot.db'}"
    runtime = create_runtime(load_settings(bot_env(url), env_file=tmp_path / "no.env"), start_scheduler=False)
    runtime.close()
    assert_at_head_and_in_sync(url)


def test_with_auto_migrate_off_an_empty_database_stays_empty_and_the_bot_says_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'zoombot.db'}"
    settings = load_settings(bot_env(url, AUTO_MIGRATE="false"), env_file=tmp_path / "no.env")
    assert settings.auto_migrate is False

    with pytest.raises(StartupError, match=r"the database needs migrating: run python bot.py migrate"):
        create_runtime(settings, start_scheduler=False)
    assert table_names(url) == set()

    migrate.upgrade_to_head(url)
    create_runtime(settings, start_scheduler=False).close()  # migrated by hand: it starts


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("YES", True), ("false", False),
                                               ("0", False), ("no", False), (" False ", False)])
def test_auto_migrate_reads_the_usual_words_for_true_and_false(tmp_path: Path, raw: str, expected: bool) -> None:
    assert load_settings(bot_env("sqlite://", AUTO_MIGRATE=raw), env_file=tmp_path / "no.env").auto_migrate is expected


def test_auto_migrate_with_another_value_is_named_at_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(bot_env("sqlite://", AUTO_MIGRATE="sometimes"), env_file=tmp_path / "no.env")
    assert caught.value.invalid == ["AUTO_MIGRATE must be true or false (also accepted: 1/0, yes/no)"]


def test_a_database_made_by_create_all_is_stamped_and_keeps_its_rows(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'zoombot.db'}"
    engine = create_db_engine(url)
    # What zoombot did before migrations: create_all() of the models it had then (slack_sdk's
    # tables absent, and the tasks table came with migration 0002).
    Base.metadata.create_all(engine, tables=[t for t in Base.metadata.sorted_tables if t.name != "tasks"])
    now = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
    with engine.begin() as connection:
        connection.execute(
            Base.metadata.tables["user_prefs"].insert(),
            {"team_id": "T1", "slack_user_id": "U1", "enterprise_id": "", "tz": "UTC", "digest_enabled": True,
             "digest_minute": 480, "digest_days": "weekdays", "digest_when_empty": False,
             "created_at": now, "updated_at": now},
        )
    engine.dispose()

    with caplog.at_level(logging.INFO, logger="storage.migrate"):
        assert migrate.upgrade_to_head(url) == all_revisions()[1:]  # the baseline is stamped, not run

    assert "no alembic_version (made by create_all before migrations): stamping it at 0001" in caplog.text
    assert "created the tables the old database lacked: slack_installations, slack_bots, slack_oauth_states" in caplog.text
    assert_at_head_and_in_sync(url)
    engine = create_db_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT slack_user_id FROM user_prefs")).scalars().all() == ["U1"]
    engine.dispose()


def test_a_later_sqlite_table_rebuild_keeps_the_rows_that_reference_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Batch mode rebuilds user_prefs (copy, drop, rename). With foreign keys on, the DROP would
    # cascade-delete every digest delivery; the upgrade turns them off around it.
    import shutil

    migrations = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations", migrations, ignore=shutil.ignore_patterns("__pycache__"))
    head = all_revisions()[-1]
    (migrations / "versions" / "9999_probe.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n"
        f"revision = '9999'\ndown_revision = {head!r}\nbranch_labels = None\ndepends_on = None\n"
        "def upgrade():\n"
        "    with op.batch_alter_table('user_prefs', recreate='always') as batch_op:\n"
        "        batch_op.add_column(sa.Column('probe', sa.String(10), nullable=True))\n"
    )
    url = f"sqlite:///{tmp_path / 'zoombot.db'}"
    migrate.upgrade_to_head(url)
    engine = create_db_engine(url)
    now = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
    with engine.begin() as connection:
        prefs_id = connection.execute(
            Base.metadata.tables["user_prefs"].insert().returning(Base.metadata.tables["user_prefs"].c.id),
            {"team_id": "T1", "slack_user_id": "U1", "enterprise_id": "", "tz": "UTC", "digest_enabled": True,
             "digest_minute": 480, "digest_days": "weekdays", "digest_when_empty": False,
             "created_at": now, "updated_at": now},
        ).scalar_one()
        connection.execute(
            Base.metadata.tables["digest_deliveries"].insert(),
            {"prefs_id": prefs_id, "local_date": "2026-12-07", "status": "sent", "meetings": 2, "created_at": now},
        )

    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", migrations)
    migrate._script.cache_clear()
    try:
        assert migrate.upgrade_to_head(engine) == ["9999"]
    finally:
        monkeypatch.undo()
        migrate._script.cache_clear()

    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM digest_deliveries")).scalar() == 1
        assert "probe" in {column["name"] for column in inspect(connection).get_columns("user_prefs")}
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


# -- PostgreSQL -----------------------------------------------------------------------------


@pytest.mark.postgres
def test_an_empty_postgres_database_upgrades_to_head_and_agrees_with_the_models(empty_postgres_url: str) -> None:
    url = empty_postgres_url
    assert table_names(url) == set()

    assert migrate.upgrade_to_head(url) == all_revisions()
    assert migrate.upgrade_to_head(url) == []

    assert_at_head_and_in_sync(url)


@pytest.mark.postgres
def test_a_postgres_database_made_by_create_all_is_stamped(empty_postgres_url: str) -> None:
    engine = create_db_engine(empty_postgres_url)
    # Every table that create_all() made before there were migrations (tasks came with 0002).
    metadata = migrate.target_metadata()
    metadata.create_all(engine, tables=[t for t in metadata.sorted_tables if t.name != "tasks"])
    engine.dispose()

    assert migrate.upgrade_to_head(empty_postgres_url) == all_revisions()[1:]

    assert_at_head_and_in_sync(empty_postgres_url)


@pytest.mark.postgres
def test_three_processes_migrating_one_empty_postgres_database_at_once_all_succeed(
    empty_postgres_url: str,
) -> None:
    url = empty_postgres_url
    env = bot_env(url)
    engine = create_db_engine(url)
    key = migrate.PG_MIGRATION_LOCK
    waiting = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid = :high AND objid = :low"
    )
    try:
        # Hold the migration lock ourselves until all three processes are queued behind it, so
        # that they really do start the upgrade at the same moment.
        with engine.connect() as holder:
            with holder.begin():
                holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
                workers = [
                    subprocess.Popen([sys.executable, "bot.py", "migrate"], cwd=ROOT, env={**os.environ, **env},
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for _ in range(3)
                ]
                with engine.connect() as watcher:
                    for _ in range(600):
                        queued = watcher.execute(waiting, {"high": key >> 32, "low": key & 0xFFFFFFFF}).scalar()
                        watcher.rollback()
                        if queued == 3 or any(worker.poll() is not None for worker in workers):
                            break
                        threading.Event().wait(0.05)
                assert queued == 3, [worker.communicate() for worker in workers if worker.poll() is not None]
            outputs = [worker.communicate(timeout=120) for worker in workers]
    finally:
        engine.dispose()

    assert [worker.returncode for worker in workers] == [0, 0, 0], [err for _out, err in outputs]
    stdout = [out for out, _err in outputs]
    assert sum(f"applied migration(s) {', '.join(all_revisions())}" in out for out in stdout) == 1, stdout
    assert sum("up to date" in out for out in stdout) == 2, stdout
    assert_at_head_and_in_sync(url)
