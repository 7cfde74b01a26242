"""The journal's schema, as small append-only migrations: never edit one, add the next.

Each is applied once, in a transaction, and recorded in the `migrations` table.
"""

from __future__ import annotations

from collections.abc import Iterator

MIGRATIONS = (
    """
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        person TEXT NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,            -- UTC, ISO 8601
        day TEXT NOT NULL,           -- the local date, YYYY-MM-DD
        note TEXT,
        subject TEXT,
        message_id TEXT,
        template TEXT,
        template_kind TEXT,
        follow_up_after INTEGER      -- days, as the template said when it was sent
    );
    CREATE INDEX entries_person_day ON entries (person, day);
    CREATE INDEX entries_kind_person ON entries (kind, person, day);
    CREATE UNIQUE INDEX entries_message_id ON entries (message_id) WHERE message_id IS NOT NULL;
    CREATE TABLE attempts (
        message_id TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        draft TEXT NOT NULL,
        started_at TEXT NOT NULL,
        outcome TEXT,                -- NULL while the message is on its way: 'sent' | 'failed'
        detail TEXT,
        finished_at TEXT
    );
    """,
    # 2: a summary row per person, kept by a trigger (the journal is append-only), so that
    # `due` and `contacts` read one small table instead of scanning every entry.
    """
    CREATE TABLE summaries (
        person TEXT PRIMARY KEY,
        last_day TEXT NOT NULL,
        asks INTEGER NOT NULL DEFAULT 0,
        gives INTEGER NOT NULL DEFAULT 0,
        last_answer TEXT,
        last_sent TEXT,
        last_sent_follow_up INTEGER,
        last_sent_kind TEXT,
        last_meeting TEXT,
        last_meeting_kind TEXT,
        last_thanks TEXT
    ) WITHOUT ROWID;
    INSERT INTO summaries (person, last_day, asks, gives)
        SELECT person, MAX(day), SUM(kind = 'sent' AND template_kind IS 'request'),
               SUM(kind = 'gave')
        FROM entries GROUP BY person;
    UPDATE summaries SET last_answer = (
        SELECT MAX(day || '#' || printf('%012d', id)) FROM entries AS e
        WHERE e.person = summaries.person AND kind IN ('replied', 'met', 'call'));
    UPDATE summaries SET (last_sent, last_sent_follow_up, last_sent_kind) = (
        SELECT day || '#' || printf('%012d', id), follow_up_after, template_kind
        FROM entries AS e WHERE e.person = summaries.person AND kind = 'sent'
        ORDER BY day DESC, id DESC LIMIT 1);
    UPDATE summaries SET (last_meeting, last_meeting_kind) = (
        SELECT day || '#' || printf('%012d', id), kind
        FROM entries AS e WHERE e.person = summaries.person AND kind IN ('met', 'call')
        ORDER BY day DESC, id DESC LIMIT 1);
    UPDATE summaries SET last_thanks = (
        SELECT MAX(day || '#' || printf('%012d', id)) FROM entries AS e
        WHERE e.person = summaries.person AND kind = 'sent' AND template_kind IS 'thank-you');
    CREATE TRIGGER entries_summarise AFTER INSERT ON entries BEGIN
        INSERT INTO summaries (person, last_day) VALUES (NEW.person, NEW.day)
            ON CONFLICT (person) DO UPDATE SET last_day = MAX(last_day, excluded.last_day);
        UPDATE summaries SET
            asks = asks + (NEW.kind = 'sent' AND NEW.template_kind IS 'request'),
            gives = gives + (NEW.kind = 'gave'),
            last_answer = CASE WHEN NEW.kind IN ('replied', 'met', 'call')
                THEN MAX(COALESCE(last_answer, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_answer END,
            last_sent = CASE WHEN NEW.kind = 'sent'
                THEN MAX(COALESCE(last_sent, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_sent END,
            last_sent_follow_up = CASE WHEN NEW.kind = 'sent' AND (last_sent IS NULL
                    OR NEW.day || '#' || printf('%012d', NEW.id) > last_sent)
                THEN NEW.follow_up_after ELSE last_sent_follow_up END,
            last_sent_kind = CASE WHEN NEW.kind = 'sent' AND (last_sent IS NULL
                    OR NEW.day || '#' || printf('%012d', NEW.id) > last_sent)
                THEN NEW.template_kind ELSE last_sent_kind END,
            last_meeting = CASE WHEN NEW.kind IN ('met', 'call')
                THEN MAX(COALESCE(last_meeting, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_meeting END,
            last_meeting_kind = CASE WHEN NEW.kind IN ('met', 'call') AND (last_meeting IS NULL
                    OR NEW.day || '#' || printf('%012d', NEW.id) > last_meeting)
                THEN NEW.kind ELSE last_meeting_kind END,
            last_thanks = CASE WHEN NEW.kind = 'sent' AND NEW.template_kind IS 'thank-you'
                THEN MAX(COALESCE(last_thanks, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_thanks END
        WHERE person = NEW.person;
    END;
    """,
    # 3: a `sent` entry for a message settles its attempt in the same statement, so the
    # outcome and the entry are written together without a transaction of their own.
    """
    CREATE TRIGGER entries_settle_attempt AFTER INSERT ON entries
    WHEN NEW.kind = 'sent' AND NEW.message_id IS NOT NULL BEGIN
        UPDATE attempts SET outcome = 'sent', finished_at = NEW.at
        WHERE message_id = NEW.message_id;
    END;
    """,
    # 4: how each entry came (`via`), and what bounces and automatic replies change. Those,
    # and a delay notice (a `note` read from the mailbox), are not contact: the summary keeps
    # the day of the latest contact apart from the latest entry's day, and the latest bounce.
    # An entry may now be taken back: a deletion sums the person's summary up again.
    """
    ALTER TABLE entries ADD COLUMN via TEXT;
    UPDATE entries SET via = CASE WHEN kind = 'sent' AND message_id IS NOT NULL
        THEN 'outreach' ELSE 'hand' END;
    ALTER TABLE summaries ADD COLUMN last_contact_day TEXT;
    ALTER TABLE summaries ADD COLUMN last_bounced TEXT;
    UPDATE summaries SET last_contact_day = (
        SELECT MAX(day) FROM entries AS e WHERE e.person = summaries.person
        AND NOT (kind IN ('bounced', 'auto-reply') OR (kind = 'note' AND via IS 'mailbox')));
    DROP TRIGGER entries_summarise;
    CREATE TRIGGER entries_summarise AFTER INSERT ON entries BEGIN
        INSERT INTO summaries (person, last_day) VALUES (NEW.person, NEW.day)
            ON CONFLICT (person) DO UPDATE SET last_day = MAX(last_day, excluded.last_day);
        UPDATE summaries SET
            asks = asks + (NEW.kind = 'sent' AND NEW.template_kind IS 'request'),
            gives = gives + (NEW.kind = 'gave'),
            last_answer = CASE WHEN NEW.kind IN ('replied', 'met', 'call')
                THEN MAX(COALESCE(last_answer, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_answer END,
            last_sent = CASE WHEN NEW.kind = 'sent'
                THEN MAX(COALESCE(last_sent, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_sent END,
            last_sent_follow_up = CASE WHEN NEW.kind = 'sent' AND (last_sent IS NULL
                    OR NEW.day || '#' || printf('%012d', NEW.id) > last_sent)
                THEN NEW.follow_up_after ELSE last_sent_follow_up END,
            last_sent_kind = CASE WHEN NEW.kind = 'sent' AND (last_sent IS NULL
                    OR NEW.day || '#' || printf('%012d', NEW.id) > last_sent)
                THEN NEW.template_kind ELSE last_sent_kind END,
            last_meeting = CASE WHEN NEW.kind IN ('met', 'call')
                THEN MAX(COALESCE(last_meeting, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_meeting END,
            last_meeting_kind = CASE WHEN NEW.kind IN ('met', 'call') AND (last_meeting IS NULL
                    OR NEW.day || '#' || printf('%012d', NEW.id) > last_meeting)
                THEN NEW.kind ELSE last_meeting_kind END,
            last_thanks = CASE WHEN NEW.kind = 'sent' AND NEW.template_kind IS 'thank-you'
                THEN MAX(COALESCE(last_thanks, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_thanks END,
            last_contact_day = CASE WHEN NOT (NEW.kind IN ('bounced', 'auto-reply')
                    OR (NEW.kind = 'note' AND NEW.via IS 'mailbox'))
                THEN MAX(COALESCE(last_contact_day, ''), NEW.day)
                ELSE last_contact_day END,
            last_bounced = CASE WHEN NEW.kind = 'bounced'
                THEN MAX(COALESCE(last_bounced, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_bounced END
        WHERE person = NEW.person;
    END;
    CREATE TRIGGER entries_unsummarise AFTER DELETE ON entries BEGIN
        DELETE FROM summaries WHERE person = OLD.person;
        INSERT INTO summaries (person, last_day, asks, gives)
            SELECT person, MAX(day), SUM(kind = 'sent' AND template_kind IS 'request'),
                   SUM(kind = 'gave')
            FROM entries WHERE person = OLD.person GROUP BY person;
        UPDATE summaries SET
            last_answer = (
                SELECT MAX(day || '#' || printf('%012d', id)) FROM entries AS e
                WHERE e.person = OLD.person AND kind IN ('replied', 'met', 'call')),
            (last_sent, last_sent_follow_up, last_sent_kind) = (
                SELECT day || '#' || printf('%012d', id), follow_up_after, template_kind
                FROM entries AS e WHERE e.person = OLD.person AND kind = 'sent'
                ORDER BY day DESC, id DESC LIMIT 1),
            (last_meeting, last_meeting_kind) = (
                SELECT day || '#' || printf('%012d', id), kind
                FROM entries AS e WHERE e.person = OLD.person AND kind IN ('met', 'call')
                ORDER BY day DESC, id DESC LIMIT 1),
            last_thanks = (
                SELECT MAX(day || '#' || printf('%012d', id)) FROM entries AS e
                WHERE e.person = OLD.person AND kind = 'sent' AND template_kind IS 'thank-you'),
            last_contact_day = (
                SELECT MAX(day) FROM entries AS e WHERE e.person = OLD.person
                AND NOT (kind IN ('bounced', 'auto-reply')
                    OR (kind = 'note' AND via IS 'mailbox'))),
            last_bounced = (
                SELECT MAX(day || '#' || printf('%012d', id)) FROM entries AS e
                WHERE e.person = OLD.person AND kind = 'bounced')
        WHERE person = OLD.person;
    END;
    """,
    # 5: a send writes less. A message outreach sent is not summarised by the trigger on the
    # way (two statements more in every send's transaction): the `summaries` table holds every
    # entry but those sends above `summarised.upto`, which Journal.summarise_sent folds in
    # once a run is over and the readers fold in as they read (journal/summary.py, with_sent).
    # The index on (kind, person, day) goes: every entry paid for it, and no reader is faster
    # for it (a scan of the entries is faster than the index for every query that could use it).
    # The attempts are kept by message id alone (WITHOUT ROWID): one b-tree where there were
    # two, so starting an attempt and settling it each write one page less.
    """
    DROP INDEX entries_kind_person;
    DROP TRIGGER entries_settle_attempt;
    CREATE TABLE attempts_by_id (
        message_id TEXT PRIMARY KEY,
        person TEXT NOT NULL,
        draft TEXT NOT NULL,
        started_at TEXT NOT NULL,
        outcome TEXT,
        detail TEXT,
        finished_at TEXT
    ) WITHOUT ROWID;
    INSERT INTO attempts_by_id
        SELECT message_id, person, draft, started_at, outcome, detail, finished_at FROM attempts;
    DROP TABLE attempts;
    ALTER TABLE attempts_by_id RENAME TO attempts;
    CREATE TRIGGER entries_settle_attempt AFTER INSERT ON entries
    WHEN NEW.kind = 'sent' AND NEW.message_id IS NOT NULL BEGIN
        UPDATE attempts SET outcome = 'sent', finished_at = NEW.at
        WHERE message_id = NEW.message_id;
    END;
    CREATE TABLE summarised (upto INTEGER NOT NULL);
    INSERT INTO summarised (upto) SELECT COALESCE(MAX(id), 0) FROM entries;
    DROP TRIGGER entries_summarise;
    CREATE TRIGGER entries_summarise AFTER INSERT ON entries
    WHEN NOT (NEW.kind = 'sent' AND NEW.via IS 'outreach') BEGIN
        INSERT INTO summaries (person, last_day) VALUES (NEW.person, NEW.day)
            ON CONFLICT (person) DO UPDATE SET last_day = MAX(last_day, excluded.last_day);
        UPDATE summaries SET
            asks = asks + (NEW.kind = 'sent' AND NEW.template_kind IS 'request'),
            gives = gives + (NEW.kind = 'gave'),
            last_answer = CASE WHEN NEW.kind IN ('replied', 'met', 'call')
                THEN MAX(COALESCE(last_answer, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_answer END,
            last_sent = CASE WHEN NEW.kind = 'sent'
                THEN MAX(COALESCE(last_sent, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_sent END,
            last_sent_follow_up = CASE WHEN NEW.kind = 'sent' AND (last_sent IS NULL
                    OR NEW.day || '#' || printf('%012d', NEW.id) > last_sent)
                THEN NEW.follow_up_after ELSE last_sent_follow_up END,
            last_sent_kind = CASE WHEN NEW.kind = 'sent' AND (last_sent IS NULL
                    OR NEW.day || '#' || printf('%012d', NEW.id) > last_sent)
                THEN NEW.template_kind ELSE last_sent_kind END,
            last_meeting = CASE WHEN NEW.kind IN ('met', 'call')
                THEN MAX(COALESCE(last_meeting, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_meeting END,
            last_meeting_kind = CASE WHEN NEW.kind IN ('met', 'call') AND (last_meeting IS NULL
                    OR NEW.day || '#' || printf('%012d', NEW.id) > last_meeting)
                THEN NEW.kind ELSE last_meeting_kind END,
            last_thanks = CASE WHEN NEW.kind = 'sent' AND NEW.template_kind IS 'thank-you'
                THEN MAX(COALESCE(last_thanks, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_thanks END,
            last_contact_day = CASE WHEN NOT (NEW.kind IN ('bounced', 'auto-reply')
                    OR (NEW.kind = 'note' AND NEW.via IS 'mailbox'))
                THEN MAX(COALESCE(last_contact_day, ''), NEW.day)
                ELSE last_contact_day END,
            last_bounced = CASE WHEN NEW.kind = 'bounced'
                THEN MAX(COALESCE(last_bounced, ''), NEW.day || '#' || printf('%012d', NEW.id))
                ELSE last_bounced END
        WHERE person = NEW.person;
    END;
    """,
    # 6: a send stages its `sent` entry. The entry with its two indexes and its attempt settled
    # by the trigger wrote four b-trees a message: a staged entry is one row appended to one
    # small table (a rowid table with no index, so each row goes on its last page). The staged
    # entry is its attempt's outcome until it is folded into `entries`, `attempts` and the
    # summaries in one transaction: when the journal is opened, when a send run is over and
    # before any other change to the entries (database.py, _fold_staged). A message id folded
    # twice is written once (entries_message_id is unique).
    """
    CREATE TABLE sent_staged (
        person TEXT NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        note TEXT,
        subject TEXT,
        message_id TEXT NOT NULL,
        template TEXT,
        template_kind TEXT,
        follow_up_after INTEGER,
        via TEXT
    );
    """,
)


def statements(script: str) -> Iterator[str]:
    """The statements of a script, whole: a trigger's body holds semicolons of its own."""
    import sqlite3  # only once a journal is opened

    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip():
        yield pending
