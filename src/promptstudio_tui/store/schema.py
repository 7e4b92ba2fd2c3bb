"""Named migrations, each applied once inside a transaction and recorded.

Rules: never drop or rewrite user data; add new migrations at the end; never
edit one that has shipped. Money columns (`cost`) hold integer micro-dollars
(1 USD = 1,000,000), NULL where the model's price is unknown.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import sqlite_utils
from sqlite_utils.migrations import Migrations

from promptstudio_tui.ids import new_id
from promptstudio_tui.store import search

migrations = Migrations("promptstudio")


@migrations()
def m001_core_tables(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT 'General',
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'archived', 'deleted')),
            is_starred INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '[]',
            metadata TEXT NOT NULL DEFAULT '{}',
            preview TEXT NOT NULL DEFAULT '',
            unread_count INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_message_at TEXT NOT NULL
        );
        CREATE INDEX idx_conversations_recent ON conversations (status, last_message_at DESC);
        CREATE INDEX idx_conversations_title ON conversations (status, title COLLATE NOCASE);

        CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
            content TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'complete'
                CHECK (state IN ('complete', 'streaming', 'interrupted', 'error')),
            error TEXT,
            model TEXT,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost INTEGER,
            is_starred INTEGER NOT NULL DEFAULT 0,
            metadata TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX idx_messages_conversation ON messages (conversation_id, created_at);
        CREATE INDEX idx_messages_state ON messages (state) WHERE state = 'streaming';

        CREATE TABLE prompts (
            id TEXT PRIMARY KEY,
            conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
            title TEXT NOT NULL,
            content TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT 'General',
            tags TEXT NOT NULL DEFAULT '[]',
            is_favorite INTEGER NOT NULL DEFAULT 0,
            model TEXT,
            tokens_used INTEGER NOT NULL DEFAULT 0,
            cost INTEGER,
            metadata TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX idx_prompts_conversation ON prompts (conversation_id, created_at);
        CREATE INDEX idx_prompts_created ON prompts (created_at);
        CREATE INDEX idx_prompts_category ON prompts (category);

        CREATE TABLE user_plans (
            id INTEGER PRIMARY KEY,
            plan_name TEXT NOT NULL DEFAULT 'free'
                CHECK (plan_name IN ('free', 'pro', 'enterprise')),
            tokens_limit INTEGER NOT NULL DEFAULT 10000,
            requests_limit INTEGER NOT NULL DEFAULT 50,
            plan_start_date TEXT NOT NULL,
            is_active INTEGER NOT NULL DEFAULT 1
        );

        CREATE TABLE usage_tracking (
            id TEXT PRIMARY KEY,
            request_type TEXT NOT NULL
                CHECK (request_type IN ('conversation', 'prompt_optimization', 'prompt_save')),
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost INTEGER,
            model TEXT,
            conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
            prompt_id TEXT REFERENCES prompts (id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_usage_created ON usage_tracking (created_at);

        CREATE TABLE usage_summaries (
            summary_date TEXT PRIMARY KEY,
            total_tokens INTEGER NOT NULL DEFAULT 0,
            total_requests INTEGER NOT NULL DEFAULT 0,
            total_cost INTEGER NOT NULL DEFAULT 0,
            conversation_requests INTEGER NOT NULL DEFAULT 0,
            prompt_optimization_requests INTEGER NOT NULL DEFAULT 0,
            prompt_save_requests INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        );

        -- In-flight requests hold a reservation so parallel processes cannot
        -- together pass a plan limit; settled into usage_tracking afterwards.
        CREATE TABLE quota_reservations (
            id TEXT PRIMARY KEY,
            tokens INTEGER NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE preferences (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_full_text_search(db: sqlite_utils.Database) -> None:
    # External-content FTS5 tables kept in sync by triggers (no copy of the text).
    db.table("conversations").enable_fts(
        ["title", "tags"], fts_version="FTS5", create_triggers=True, tokenize="unicode61"
    )
    db.table("messages").enable_fts(["content"], fts_version="FTS5", create_triggers=True, tokenize="unicode61")
    db.table("prompts").enable_fts(
        ["title", "content", "tags"], fts_version="FTS5", create_triggers=True, tokenize="unicode61"
    )


@migrations()
def m003_unpriced_requests_in_summaries(db: sqlite_utils.Database) -> None:
    # The month's totals (quota check, plan meter) come from the daily summaries alone,
    # so they also count the requests whose price is unknown. Backfilled from the usage
    # rows, keyed by local day as Usage.record keys its summaries.
    db.execute("ALTER TABLE usage_summaries ADD COLUMN unpriced_requests INTEGER NOT NULL DEFAULT 0")
    per_day = Counter(
        datetime.fromisoformat(created_at).astimezone().date().isoformat()
        for (created_at,) in db.execute(
            "SELECT created_at FROM usage_tracking"
            " WHERE cost IS NULL AND request_type IN ('conversation', 'prompt_optimization')"
        )
    )
    db.conn.executemany(
        "UPDATE usage_summaries SET unpriced_requests = ? WHERE summary_date = ?",
        [(count, day) for day, count in per_day.items()],
    )


@migrations()
def m004_prompt_versions(db: sqlite_utils.Database) -> None:
    # The text of a prompt belongs to its versions; title, category, tags and favourite stay
    # on the prompt. prompts.content, model, tokens_used and cost remain as a copy of the
    # latest version (written in the same transaction as each version, see store/versions.py):
    # full-text search (external-content triggers on prompts), the prompt list and exports
    # keep working unchanged, with no join per row. prompts.version says which one it is.
    # Plain execute calls, not executescript: that would COMMIT and break this
    # migration's transaction.
    db.execute(
        """
        CREATE TABLE prompt_versions (
            id TEXT PRIMARY KEY,
            prompt_id TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            content TEXT NOT NULL,
            source TEXT NOT NULL
                CHECK (source IN ('generated', 'refined', 'edited', 'imported', 'restored')),
            model TEXT,
            tokens INTEGER NOT NULL DEFAULT 0,
            cost INTEGER,
            created_at TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            UNIQUE (prompt_id, number)
        )
        """
    )
    db.execute("ALTER TABLE prompts ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
    # Every prompt so far was generated once: it becomes its v1, with its own metadata.
    # `through_message_id` marks the newest turn that version had seen (the conversation's
    # newest message when the prompt was made), so refining it later sends only newer turns.
    rows = db.execute(
        "SELECT p.id, p.content, p.model, p.tokens_used, p.cost, p.created_at,"
        " json_set(iif(json_valid(p.metadata), p.metadata, '{}'), '$.through_message_id', (SELECT max(m.id) FROM messages m"
        "  WHERE m.conversation_id = p.conversation_id AND m.created_at <= p.created_at))"
        " FROM prompts p"
    ).fetchall()
    db.conn.executemany(
        "INSERT INTO prompt_versions (id, prompt_id, number, content, source, model, tokens, cost, created_at,"
        " metadata) VALUES (?, ?, 1, ?, 'generated', ?, ?, ?, ?, ?)",
        [(new_id(), *row) for row in rows],
    )


@migrations()
def m005_prompt_tests(db: sqlite_utils.Database) -> None:
    # The workshop's second part: test cases and evaluators per prompt, every try/test/judge
    # request kept as a run, the variable values last used per prompt, and a request type of
    # its own ("prompt_test") for the quota and the usage screen. Plain execute calls in this
    # migration's one transaction (executescript would COMMIT half way).
    #
    # usage_tracking's CHECK lists the request types, and SQLite cannot alter a CHECK: the
    # table is rebuilt with every row copied as it is (nothing references usage_tracking, so
    # dropping the old copy after the copy breaks no foreign key).
    db.execute(
        """
        CREATE TABLE usage_tracking_m005 (
            id TEXT PRIMARY KEY,
            request_type TEXT NOT NULL
                CHECK (request_type IN ('conversation', 'prompt_optimization', 'prompt_save', 'prompt_test')),
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost INTEGER,
            model TEXT,
            conversation_id TEXT REFERENCES conversations (id) ON DELETE SET NULL,
            prompt_id TEXT REFERENCES prompts (id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        "INSERT INTO usage_tracking_m005 (id, request_type, prompt_tokens, completion_tokens, cost, model,"
        " conversation_id, prompt_id, created_at) SELECT id, request_type, prompt_tokens, completion_tokens, cost,"
        " model, conversation_id, prompt_id, created_at FROM usage_tracking"
    )
    db.execute("DROP TABLE usage_tracking")
    db.execute("ALTER TABLE usage_tracking_m005 RENAME TO usage_tracking")
    db.execute("CREATE INDEX idx_usage_created ON usage_tracking (created_at)")
    db.execute("ALTER TABLE usage_summaries ADD COLUMN prompt_test_requests INTEGER NOT NULL DEFAULT 0")

    # A case's values are a JSON object of scalars (text as typed; numbers and booleans as
    # a .prompt.yml gave them, so a round trip keeps them); `expected` is optional.
    db.execute(
        """
        CREATE TABLE test_cases (
            id TEXT PRIMARY KEY,
            prompt_id TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
            name TEXT NOT NULL DEFAULT '',
            vars TEXT NOT NULL DEFAULT '{}',
            expected TEXT,
            source TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'run', 'proposed', 'imported')),
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_test_cases_prompt ON test_cases (prompt_id, created_at)")
    # One evaluator spec per row, in the `.prompt.yml` shape (evaluators.to_mapping), in order.
    db.execute(
        """
        CREATE TABLE prompt_evaluators (
            id TEXT PRIMARY KEY,
            prompt_id TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            spec TEXT NOT NULL,
            UNIQUE (prompt_id, position)
        )
        """
    )
    # A run outlives its case (case_id is set NULL) but not its prompt.
    db.execute(
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            prompt_id TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('try', 'test', 'judge')),
            case_id TEXT REFERENCES test_cases (id) ON DELETE SET NULL,
            vars TEXT NOT NULL DEFAULT '{}',
            model TEXT NOT NULL,
            output TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL CHECK (state IN ('complete', 'interrupted', 'error')),
            error TEXT,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost INTEGER,
            latency_ms INTEGER NOT NULL DEFAULT 0,
            verdict TEXT CHECK (verdict IN ('pass', 'fail', 'unclear', 'error')),
            reasons TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX idx_runs_prompt ON runs (prompt_id, created_at)")
    db.execute("CREATE INDEX idx_runs_case ON runs (case_id) WHERE case_id IS NOT NULL")
    # The values last used to fill each prompt's variables, so the form opens filled.
    db.execute(
        """
        CREATE TABLE prompt_variable_values (
            prompt_id TEXT PRIMARY KEY REFERENCES prompts (id) ON DELETE CASCADE,
            vars TEXT NOT NULL DEFAULT '{}',
            updated_at TEXT NOT NULL
        )
        """
    )


@migrations()
def m006_message_order(db: sqlite_utils.Database) -> None:
    # A conversation's messages are in id order, and a new message's id is taken after the
    # conversation's newest one inside its write transaction (Repository.insert_in_order), so
    # that order is the order written even when a clock steps back. This index makes that
    # read, and the newest-page read of a long conversation, a walk rather than a sort.
    db.execute("CREATE INDEX idx_messages_order ON messages (conversation_id, id)")


@migrations()
def m007_search_trigram(db: sqlite_utils.Database) -> None:
    # Beside each word index, a trigram index of the texts written without spaces between
    # words (store/search.py), kept in sync by triggers. Without the trigram tokenizer
    # (SQLite < 3.34) nothing is made and such words are looked for in the text itself.
    if not search.trigrams_supported():
        return
    for table, columns in search.COLUMNS.items():
        index = f"{table}_trigram"
        listed = ", ".join(columns)
        text = " || ' ' || ".join(f"coalesce({{row}}.{column}, '')" for column in columns)
        # Texts of ASCII alone (as many bytes as characters) are passed over before the slower GLOB.
        needs = f"length(CAST({text} AS BLOB)) > length({text}) AND {text} GLOB '{search.NEEDS_TRIGRAMS_GLOB}'"
        old, new = needs.format(row="old"), needs.format(row="new")
        old_values = ", ".join(f"old.{column}" for column in columns)
        new_values = ", ".join(f"new.{column}" for column in columns)
        forget = f"INSERT INTO {index} ({index}, rowid, {listed}) SELECT 'delete', old.rowid, {old_values} WHERE {old};"
        learn = f"INSERT INTO {index} (rowid, {listed}) SELECT new.rowid, {new_values} WHERE {new};"
        db.execute(
            f"CREATE VIRTUAL TABLE {index} USING fts5({listed}, content='{table}', content_rowid='rowid',"
            " tokenize='trigram')"
        )
        db.execute(f"CREATE TRIGGER {index}_ai AFTER INSERT ON {table} BEGIN {learn} END")
        db.execute(f"CREATE TRIGGER {index}_ad AFTER DELETE ON {table} BEGIN {forget} END")
        db.execute(f"CREATE TRIGGER {index}_au AFTER UPDATE OF {listed} ON {table} BEGIN {forget} {learn} END")
        db.execute(
            f"INSERT INTO {index} (rowid, {listed}) SELECT rowid, {listed} FROM {table} WHERE {needs.format(row=table)}"
        )


@migrations()
def m009_message_branches(db: sqlite_utils.Database) -> None:
    # A conversation is a tree: editing a user message and resending it, or regenerating a
    # reply, adds a sibling and keeps the turns after the old one as a branch. `parent_id` is
    # the message a message follows (NULL for the first); `head_id` the newest message of the
    # branch on screen, always a leaf. The branch is the walk from the head to the root, by
    # primary key. No foreign key on parent_id: deleting a conversation removes its messages in
    # one statement, in no particular order. Until now every conversation was one line, so each
    # message follows the previous one in id order (the order written, see m006's index).
    db.execute("ALTER TABLE messages ADD COLUMN parent_id TEXT")
    db.execute("ALTER TABLE conversations ADD COLUMN head_id TEXT")
    db.execute(
        "UPDATE messages SET parent_id = (SELECT max(p.id) FROM messages p"
        " WHERE p.conversation_id = messages.conversation_id AND p.id < messages.id)"
    )
    db.execute(
        "UPDATE conversations SET head_id = (SELECT max(m.id) FROM messages m WHERE m.conversation_id = conversations.id)"
    )
    # A message's children and alternatives (its siblings) are read by parent.
    db.execute("CREATE INDEX idx_messages_parent ON messages (conversation_id, parent_id)")


@migrations()
def m010_conversation_model(db: sqlite_utils.Database) -> None:
    # The model a conversation talks to, chosen in it and kept; NULL follows the configured
    # default. Tags were written \u-escaped, so a tag in Chinese was never found by the
    # search: each escaped list is written again as typed (the index triggers relearn it).
    db.execute("ALTER TABLE conversations ADD COLUMN model TEXT")
    for table in ("conversations", "prompts"):
        rows = db.execute(f"SELECT id, tags FROM {table} WHERE tags LIKE '%\\u%' ESCAPE '!'").fetchall()
        plain = [
            (json.dumps(json.loads(tags), ensure_ascii=False), row_id) for row_id, tags in rows if _json_list(tags)
        ]
        db.conn.executemany(f"UPDATE {table} SET tags = ? WHERE id = ?", plain)


@migrations()
def m011_search_short_pieces(db: sqlite_utils.Database) -> None:
    # A word of one or two characters in Chinese, Japanese or Thai was looked for by reading
    # every message: the trigram index finds nothing shorter than three. But where such a word
    # sits in a message, except in its last two characters, one of the message's trigrams
    # starts with it: the index's vocabulary (one row per trigram) gives those as a range of
    # terms, and two indexes of each message's last characters give the rest (store/search.py).
    # Nothing to do where the store has no trigram index (m007 on an SQLite without it).
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'messages_trigram'").fetchone():
        return
    db.execute(f"CREATE VIRTUAL TABLE {search.VOCABULARY} USING fts5vocab(messages_trigram, 'row')")
    db.execute("CREATE INDEX idx_messages_last_two ON messages (substr(content, -2))")
    db.execute("CREATE INDEX idx_messages_last_one ON messages (substr(content, -1))")


def _json_list(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list)
    except ValueError:
        return False
