"""The SQLite store: migrations, FTS sync, pragmas, privacy, and refusing non-databases."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
import sqlite_utils

from promptstudio_tui.paths import Paths
from promptstudio_tui.store import StoreError, open_store, schema
from promptstudio_tui.store import conversations as conversations_module
from promptstudio_tui.store.conversations import Conversations
from promptstudio_tui.store.db import SCHEMA_VERSION
from promptstudio_tui.store.messages import Messages
from promptstudio_tui.store.prompts import Prompts
from promptstudio_tui.store.schema import migrations
from promptstudio_tui.store.versions import PromptVersions

TABLES = {"conversations", "messages", "prompts", "user_plans", "usage_tracking", "usage_summaries"}


def migration_names() -> list[str]:
    """Every migration, in order: all of them are pending on an empty database."""
    return [m.name for m in migrations.pending(sqlite_utils.Database(memory=True))]


def test_empty_file_gets_every_table_and_records_migrations(tmp_path: Path) -> None:
    store = open_store(tmp_path / "p.db")
    assert set(store.db.table_names()) >= TABLES
    applied = [r["name"] for r in store.query("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == migration_names()
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    assert store.query("PRAGMA foreign_keys")[0][0] == 1
    assert store.query("PRAGMA busy_timeout")[0][0] >= 5000
    assert store.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION == len(migration_names())


@pytest.mark.parametrize("stop_before", migration_names()[1:])
def test_upgrade_from_every_earlier_version_keeps_data(tmp_path: Path, stop_before: str) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.apply(sqlite_utils.Database(conn, execute_plugins=False), stop_before=stop_before)
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, last_message_at) VALUES ('c1', 'kept title', 'x', 'x', 'x')"
    )
    conn.execute(
        "INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES ('m1', 'c1', 'user', 'kept body', 'x', 'x')"
    )
    conn.commit()
    conn.close()

    store = open_store(path)
    applied = [r["name"] for r in store.query("SELECT name FROM _sqlite_migrations ORDER BY id")]
    assert applied == migration_names()
    assert Conversations(store).get("c1").title == "kept title"
    # Rows that existed before the FTS migration are searchable after it.
    assert [c.id for c in Conversations(store).page(query="kept body")] == ["c1"]
    # A second open applies nothing twice.
    store.close()
    assert len(open_store(path).query("SELECT name FROM _sqlite_migrations")) == len(migration_names())


def test_prompts_from_before_versions_each_become_their_v1(tmp_path: Path) -> None:
    """The schema as it was before versions (m001–m003), with prompts as that code wrote them."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.apply(sqlite_utils.Database(conn, execute_plugins=False), stop_before="m004_prompt_versions")
    conn.executescript(
        """
        INSERT INTO conversations (id, title, created_at, updated_at, last_message_at)
            VALUES ('c1', 'French helper', 't0', 't0', 't0');
        INSERT INTO messages (id, conversation_id, role, content, created_at, updated_at) VALUES
            ('m1', 'c1', 'user', 'always answer in French', '2025-01-01T10:00:00', 'x'),
            ('m2', 'c1', 'assistant', 'd''accord', '2025-01-01T10:01:00', 'x'),
            ('m3', 'c1', 'user', 'and be brief', '2025-01-01T10:05:00', 'x'),
            ('m4', 'c1', 'assistant', 'ok', '2025-01-01T10:06:00', 'x');
        -- Old data: two prompts generated from one conversation, one whose conversation is gone.
        INSERT INTO prompts (id, conversation_id, title, content, category, tags, is_favorite, model, tokens_used,
                             cost, metadata, created_at, updated_at) VALUES
            ('p1', 'c1', 'First', 'Answer in French.', 'Education', '["fr"]', 1, 'gpt-4o', 4, 120,
             '{"finish_reason": "stop"}', '2025-01-01T10:02:00', '2025-01-02T00:00:00'),
            ('p2', 'c1', 'Second', 'Answer in French, briefly.', 'General', '[]', 0, 'llama3.1', 6, NULL,
             '{"finish_reason": "length"}', '2025-01-01T10:07:00', '2025-01-01T10:07:00'),
            ('p3', NULL, 'Orphan', 'Penguin facts.', 'General', '[]', 0, NULL, 3, NULL, 'not json',
             '2024-12-01T00:00:00', '2024-12-01T00:00:00');
        """
    )
    conn.close()

    store = open_store(path)
    prompts, versions = Prompts(store), PromptVersions(store)
    before = {"p1": ("Answer in French.", "gpt-4o", 4, 120, "2025-01-01T10:02:00", "stop", "m2")}
    before["p2"] = ("Answer in French, briefly.", "llama3.1", 6, None, "2025-01-01T10:07:00", "length", "m4")
    before["p3"] = ("Penguin facts.", None, 3, None, "2024-12-01T00:00:00", None, None)
    for prompt_id, (content, model, tokens, cost, created_at, finish, through) in before.items():
        [v1] = versions.for_prompt(prompt_id)
        assert (v1.number, v1.source, v1.content, v1.model, v1.tokens, v1.cost, v1.created_at) == (
            1,
            "generated",
            content,
            model,
            tokens,
            cost,
            created_at,
        )
        assert v1.metadata.get("finish_reason") == finish
        assert v1.metadata["through_message_id"] == through  # the newest turn it had seen
        assert (prompts.get(prompt_id).version, prompts.get(prompt_id).content) == (1, content)
    first = prompts.get("p1")
    assert (first.title, first.category, first.tags, first.is_favorite) == ("First", "Education", ["fr"], True)
    # The conversation's prompt is its newest; search still finds every prompt.
    assert [p.id for p in prompts.list(conversation_id="c1")] == ["p2", "p1"]
    assert [p.id for p in prompts.list(query="penguin")] == ["p3"]

    # A new version becomes the prompt's text, in search too; the old text stays in v1.
    versions.add("p3", content="Walrus facts.", source="edited", tokens=3)
    assert [p.id for p in prompts.list(query="walrus")] == ["p3"] and prompts.list(query="penguin") == []
    assert [v.content for v in versions.for_prompt("p3")] == ["Penguin facts.", "Walrus facts."]
    assert prompts.get("p3").version == 2


def test_a_migration_that_fails_leaves_the_store_as_it_was(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.apply(sqlite_utils.Database(conn, execute_plugins=False), stop_before="m004_prompt_versions")
    conn.execute(
        "INSERT INTO prompts (id, title, content, created_at, updated_at) VALUES ('p1', 't', 'kept', 'x', 'x')"
    )
    conn.commit()
    conn.close()

    def broken_id() -> str:
        raise OSError("no randomness")

    monkeypatch.setattr(schema, "new_id", broken_id)  # fails after the table and column were added
    with pytest.raises(OSError):
        open_store(path)
    check = sqlite3.connect(path)
    assert check.execute("SELECT name FROM sqlite_master WHERE name = 'prompt_versions'").fetchall() == []
    assert [r[1] for r in check.execute("PRAGMA table_info(prompts)")].count("version") == 0
    assert check.execute("SELECT content FROM prompts").fetchall() == [("kept",)]
    check.close()
    monkeypatch.undo()
    assert [v.content for v in PromptVersions(open_store(path)).for_prompt("p1")] == ["kept"]


def test_each_new_version_takes_the_next_number(tmp_path: Path) -> None:
    store = open_store(tmp_path / "p.db")
    prompt = Prompts(store).add(title="p", content="one", conversation_id=None, source="imported")
    versions = PromptVersions(store)
    assert versions.add(prompt.id, content="two", source="refined").number == 2
    assert versions.add(prompt.id, content="one", source="restored").number == 3
    assert [(v.number, v.source) for v in versions.for_prompt(prompt.id)] == [
        (1, "imported"),
        (2, "refined"),
        (3, "restored"),
    ]
    assert versions.number(prompt.id) == versions.number(prompt.id, 3) and versions.number(prompt.id, 4) is None
    with pytest.raises(ValueError, match="unknown version source"):
        versions.add(prompt.id, content="x", source="dreamt")
    Prompts(store).delete(prompt.id)
    assert versions.for_prompt(prompt.id) == []  # versions go with their prompt


def test_fts_follows_inserts_updates_and_deletes(tmp_path: Path) -> None:
    store = open_store(tmp_path / "p.db")
    conversations, messages, prompts = Conversations(store), Messages(store), Prompts(store)
    conv = conversations.create("Quarterly report helper", tags=["finance"])
    msg = messages.add(conv.id, "user", "summarise the spreadsheet please")
    assert [c.id for c in conversations.page(query="spreadsh")] == [conv.id]
    assert [c.id for c in conversations.page(query="finance")] == [conv.id]

    messages.save_partial(msg.id, "now about penguins")
    assert conversations.page(query="spreadsheet") == []
    assert [c.id for c in conversations.page(query="penguin")] == [conv.id]

    conversations.update(conv.id, title="Penguin facts")
    assert [c.title for c in conversations.page(query="quarterly")] == []

    prompt = prompts.add(title="Penguin prompt", content="You are a zoologist", conversation_id=conv.id)
    assert [p.id for p in prompts.list(query="zoolog")] == [prompt.id]
    prompts.delete(prompt.id)
    assert prompts.list(query="zoolog") == []

    messages.delete(msg.id)
    assert conversations.page(query="penguins now") == []


def test_search_input_is_never_fts_syntax(tmp_path: Path) -> None:
    store = open_store(tmp_path / "p.db")
    conversations = Conversations(store)
    conversations.create('He said "NEAR(" OR * AND -x')
    for query in ['"', "NEAR(", "*", "AND OR NOT", "-x", "(((", "'"]:
        conversations.page(query=query)  # must not raise fts5 syntax errors
    assert conversations.count(query="said near") == 1
    assert conversations.count(query="!!!") == 0


def test_cascades_and_set_null(tmp_path: Path) -> None:
    store = open_store(tmp_path / "p.db")
    conv = Conversations(store).create("t")
    Messages(store).add(conv.id, "user", "hi")
    prompt = Prompts(store).add(title="p", content="c", conversation_id=conv.id)
    with store.write() as db:
        db.execute("DELETE FROM conversations WHERE id = ?", (conv.id,))
    assert store.query("SELECT count(*) FROM messages")[0][0] == 0
    assert Prompts(store).get(prompt.id).conversation_id is None


def test_role_and_state_are_checked(tmp_path: Path) -> None:
    store = open_store(tmp_path / "p.db")
    conv = Conversations(store).create("t")
    with pytest.raises(sqlite3.IntegrityError):
        Messages(store).add(conv.id, "robot", "x")
    with pytest.raises(sqlite3.IntegrityError):
        Messages(store).add(conv.id, "user", "x", state="done")


def test_ids_sort_by_creation_within_a_millisecond(tmp_path: Path) -> None:
    store = open_store(tmp_path / "p.db")
    conv = Conversations(store).create("t")
    ids = [Messages(store).add(conv.id, "user", str(i)).id for i in range(50)]
    assert ids == sorted(ids)
    assert [m.content for m in Messages(store).for_conversation(conv.id, limit=3)] == ["47", "48", "49"]


def test_a_commit_by_another_connection_is_noticed_once(tmp_path: Path) -> None:
    store, other = open_store(tmp_path / "p.db"), open_store(tmp_path / "p.db")
    assert not store.changed_elsewhere()
    Conversations(store).create("written here")
    assert not store.changed_elsewhere()  # its own commits are not news
    Conversations(other).create("written by another process")
    assert store.changed_elsewhere()
    assert not store.changed_elsewhere()
    store.close()
    assert not store.changed_elsewhere()  # closed: no answer, and no exception
    other.close()


def test_the_write_queue_files_are_private_and_empty(tmp_path: Path) -> None:
    store = open_store(tmp_path / "p.db")
    Conversations(store).create("t")
    store.close()
    beside = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("p.db-"))
    assert beside == ["p.db-lock", "p.db-queue"]
    for name in beside:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
        assert (tmp_path / name).stat().st_size == 0


def test_database_and_dirs_are_private(home: Path) -> None:
    paths = Paths.discover()
    paths.ensure_private()
    open_store(paths.database).close()
    assert stat.S_IMODE(paths.database.stat().st_mode) == 0o600
    for directory in (paths.data_dir, paths.config_dir, paths.cache_dir):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_loose_permissions_are_tightened_and_reported(home: Path) -> None:
    paths = Paths.discover()
    paths.ensure_private()
    open_store(paths.database).close()
    paths.database.chmod(0o644)
    paths.data_dir.chmod(0o755)
    report = paths.ensure_private()
    assert len(report) == 2 and all("readable by other users" in line for line in report)
    assert stat.S_IMODE(paths.database.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.data_dir.stat().st_mode) == 0o700


def test_non_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "promptstudio.db"
    original = b"these are my notes, not a database\n" * 10
    path.write_bytes(original)
    with pytest.raises(StoreError, match="doctor --move-aside"):
        open_store(path)
    assert path.read_bytes() == original


def test_damaged_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "promptstudio.db"
    open_store(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the schema page, keep the header
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        open_store(path)


def test_id_prefix_lookup_has_no_wildcards(tmp_path: Path) -> None:
    store = open_store(tmp_path / "p.db")
    conversations = Conversations(store)
    conv = conversations.create("only one")
    assert conversations.find(conv.id[:8]).id == conv.id
    for pattern in ("%", "_", conv.id[:4] + "%"):
        with pytest.raises(KeyError):
            conversations.find(pattern)


def _search_store(tmp_path: Path):
    """Conversations where "python" is common, "zebra" rare, "tractor" only in a title.

    Returns each conversation's searchable documents (title with tags, then each message)."""
    store = open_store(tmp_path / "p.db")
    conversations, messages = Conversations(store), Messages(store)
    expected = []  # (conversation, words in its title, tags and messages)
    for i in range(40):
        title = "Tractor repairs" if i == 7 else f"Chat {i % 5} number {i}"
        conv = conversations.create(title, tags=["farm"] if i % 9 == 0 else [])
        texts = [f"message {j} of {i}" for j in range(3)]
        if i % 4 != 3:
            texts[i % 3] += " some Python code"
        if i in (5, 13):
            texts[1] += " a zebra appears"  # in the same message as "python" for 13 only
        for text in texts:
            messages.add(conv.id, "user", text)
        if i % 6 == 0:
            conversations.update(conv.id, is_starred=True)
        if i % 10 == 9:
            conversations.update(conv.id, status="archived")
        documents = [f"{title} {'farm' if i % 9 == 0 else ''}", *texts]
        expected.append((conv.id, [d.lower().split() for d in documents]))
    with store.write() as db:  # equal activity times: the order must still be total
        db.execute("UPDATE conversations SET last_message_at = '2026-01-01' WHERE rowid % 7 = 0")
    # The oldest conversation becomes the most recent one; its matches are its oldest messages.
    first = expected[0][0]
    messages.add(first, "user", "a late message")
    conversations.note_message(first, "a late message", unread=False)
    expected[0][1].append(["a", "late", "message"])
    return store, conversations, dict(expected)


@pytest.mark.parametrize("regime", ["lookup", "walk", "short walk", "walk gives up"])
def test_search_pages_are_the_same_whichever_way_they_are_found(tmp_path: Path, monkeypatch, regime: str) -> None:
    _, conversations, documents = _search_store(tmp_path)
    # Force each strategy in turn: looking matches up, walking the whole list, walking a
    # little of it (then giving up or not, by query), giving up at once.
    monkeypatch.setattr(conversations_module, "SPARSE_MATCHES", 10**9 if regime == "lookup" else -1)
    stages = {"lookup": (1,), "walk": (10**6,), "short walk": (1, 2), "walk gives up": (0,)}[regime]
    monkeypatch.setattr(conversations_module, "WALK_STAGES", stages)
    everything = {
        (tab, sort): [c.id for c in conversations.page(tab, sort, "", 0, 1000)]
        for tab in ("all", "starred", "archived")
        for sort in ("recent", "title", "starred")
    }
    for query in ("python", "pyth", "p", "zebra", "tractor", "farm", "python zebra", "nothing"):
        prefixes = query.split()  # every word must prefix a word of one and the same document
        matching = {
            cid
            for cid, docs in documents.items()
            if any(all(any(word.startswith(p) for word in doc) for p in prefixes) for doc in docs)
        }
        for (tab, sort), ordered in everything.items():
            wanted = [cid for cid in ordered if cid in matching]
            for offset, limit in ((0, 1000), (0, 3), (2, 5), (30, 10)):
                got = [c.id for c in conversations.page(tab, sort, query, offset, limit)]
                assert got == wanted[offset : offset + limit], (query, tab, sort, offset, limit)
            assert conversations.count(tab, query) == len(wanted)
    assert conversations.count("all", "zebra") == 2 and conversations.count("all", "python zebra") == 1


def test_one_letter_search_still_matches_word_prefixes(tmp_path: Path) -> None:
    _, conversations, _ = _search_store(tmp_path)
    assert {c.title for c in conversations.page(query="t", limit=1000)} >= {"Tractor repairs"}
    assert conversations.count(query="z") == 2


def test_prompt_tests_migration_keeps_usage_and_allows_the_new_request_type(tmp_path: Path) -> None:
    """m005 rebuilds usage_tracking (its CHECK names the request types): every row survives
    as it was, and a prompt test can then be recorded and summed as its own type."""
    from promptstudio_tui.store.cases import NewCase, PromptEvaluators, TestCases, VariableValues
    from promptstudio_tui.store.records import Reason
    from promptstudio_tui.store.runs import Runs
    from promptstudio_tui.store.usage import Usage

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    migrations.apply(sqlite_utils.Database(conn, execute_plugins=False), stop_before="m005_prompt_tests")
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at, last_message_at) VALUES ('c1', 't', 'x', 'x', 'x')"
    )
    conn.execute(
        "INSERT INTO usage_tracking (id, request_type, prompt_tokens, completion_tokens, cost, model,"
        " conversation_id, created_at) VALUES ('u1', 'conversation', 7, 3, 12, 'm', 'c1', '2026-01-02T00:00:00+00:00')"
    )
    conn.execute("INSERT INTO usage_summaries (summary_date, total_tokens, updated_at) VALUES ('2026-01-02', 10, 'x')")
    conn.commit()
    before = conn.execute("SELECT * FROM usage_tracking").fetchall()
    conn.close()

    store = open_store(path)
    assert [tuple(r) for r in store.query("SELECT * FROM usage_tracking")] == before
    assert store.query("SELECT total_tokens, prompt_test_requests FROM usage_summaries")[0][:] == (10, 0)
    assert {"idx_usage_created"} <= {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    # The foreign keys of the rebuilt table still act.
    Conversations(store).delete("c1")
    assert store.query("SELECT conversation_id FROM usage_tracking WHERE id = 'u1'")[0][0] is None

    Usage(store).record("prompt_test", prompt_tokens=5, completion_tokens=2, cost=None, model="m")
    assert store.query("SELECT sum(prompt_test_requests), sum(unpriced_requests) FROM usage_summaries")[0][:] == (1, 1)
    with pytest.raises(sqlite3.IntegrityError), store.write() as db:
        db.execute("INSERT INTO usage_tracking (id, request_type, created_at) VALUES ('u9', 'something_else', 'x')")

    # The new tables: cases, evaluators, runs and remembered values follow their prompt.
    prompt = Prompts(store).add(title="p", content="Hi {{name}}", conversation_id=None)
    cases = TestCases(store)
    first = cases.add(prompt.id, {"name": "Ada", "n": 3}, expected="Hi Ada")
    cases.add_many(prompt.id, [NewCase({"name": "Bob"}, source="proposed")])
    assert [(c.vars, c.expected, c.source) for c in cases.for_prompt(prompt.id)] == [
        ({"name": "Ada", "n": 3}, "Hi Ada", "manual"),
        ({"name": "Bob"}, None, "proposed"),
    ]
    evaluators = PromptEvaluators(store)
    evaluators.replace(prompt.id, [{"name": "a", "string": {"contains": "Hi"}}])
    evaluators.append(prompt.id, [{"name": "b", "uses": "promptstudio/json"}])
    assert [e["name"] for e in evaluators.for_prompt(prompt.id)] == ["a", "b"]
    runs = Runs(store)
    run = runs.add(
        prompt.id,
        version=1,
        kind="test",
        model="m",
        vars={"name": "Ada"},
        output="Hi",
        state="complete",
        case_id=first.id,
    )
    graded = runs.grade(run.id, "fail", [Reason("a", "fail", "no")])
    assert (graded.verdict, graded.reasons) == ("fail", [Reason("a", "fail", "no")])
    VariableValues(store).remember(prompt.id, {"name": "Ada"})
    VariableValues(store).remember(prompt.id, {"other": "x"})
    assert VariableValues(store).get(prompt.id) == {"name": "Ada", "other": "x"}

    assert cases.delete(first.id) and not cases.delete(first.id)
    assert runs.get(run.id).case_id is None  # a run outlives its case
    Prompts(store).delete(prompt.id)
    for table in ("test_cases", "prompt_evaluators", "runs", "prompt_variable_values"):
        assert store.query(f"SELECT count(*) FROM {table}")[0][0] == 0
