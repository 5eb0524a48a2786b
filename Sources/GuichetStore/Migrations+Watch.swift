extension Migrations {
    /// Detection (issue 7): per-account detector state, honeytoken marks, watched persons,
    /// the alert queue and suspensions.
    static let vWatch = """
    -- The detectors' state per account (JSON of counters and fingerprints: no identifier of
    -- a person or dossier, no personal value), written behind the gate so that it survives a restart.
    CREATE TABLE watch_state (
        account_id TEXT PRIMARY KEY NOT NULL REFERENCES account(id),
        state BLOB NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;

    -- Honeytoken persons and dossiers, by a keyed hash of their id (HMAC-SHA256 under a key
    -- derived from the key file): the database alone does not say which records they are,
    -- and no API returns this table.
    CREATE TABLE watch_honeytoken (
        tag BLOB PRIMARY KEY NOT NULL
    ) STRICT, WITHOUT ROWID;

    -- High-profile persons whose every access alerts (C18).
    CREATE TABLE watched_person (
        person_id TEXT PRIMARY KEY NOT NULL REFERENCES person(id),
        reason TEXT NOT NULL,
        flagged_by TEXT NOT NULL REFERENCES account(id),
        flagged_at INTEGER NOT NULL
    ) STRICT;

    -- The security officer's queue.
    CREATE TABLE watch_alert (
        id TEXT PRIMARY KEY NOT NULL,
        at INTEGER NOT NULL,
        account_id TEXT,
        detector TEXT NOT NULL,
        severity TEXT NOT NULL,
        response TEXT NOT NULL,
        detail TEXT NOT NULL,
        justification TEXT,
        acknowledged_by TEXT REFERENCES account(id),
        acknowledged_at INTEGER,
        note TEXT
    ) STRICT;
    CREATE INDEX watch_alert_open ON watch_alert(acknowledged_at, at);

    -- Suspensions by the watch, and their lifting by a security officer with a written reason.
    CREATE TABLE watch_suspension (
        id TEXT PRIMARY KEY NOT NULL,
        account_id TEXT NOT NULL REFERENCES account(id),
        at INTEGER NOT NULL,
        reason TEXT NOT NULL,
        reinstated_by TEXT REFERENCES account(id),
        reinstated_at INTEGER,
        reinstate_reason TEXT,
        CHECK ((reinstated_by IS NULL) = (reinstated_at IS NULL))
    ) STRICT;
    CREATE INDEX watch_suspension_by_account ON watch_suspension(account_id, at);
    """
}
