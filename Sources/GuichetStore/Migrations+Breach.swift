extension Migrations {
    /// Breach response (issue 8): indexes of the ledger by session, by source address and by
    /// time, so that a breach scope costs what its answer costs; and the breach register
    /// (GDPR art. 33(5)).
    static let vBreach = """
    -- Derived from each entry's canonical bytes by a trigger, so that no writer can forget
    -- them; entries written before this migration are indexed here once.
    CREATE TABLE ledger_session (
        session_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        PRIMARY KEY (session_id, at, idx)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE ledger_source (
        source TEXT NOT NULL,
        at INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        PRIMARY KEY (source, at, idx)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX ledger_by_time ON ledger_entry(at, idx);
    INSERT INTO ledger_session(session_id, at, idx)
        SELECT json_extract(CAST(entry AS TEXT), '$.actor.session'), at, idx FROM ledger_entry
        WHERE json_extract(CAST(entry AS TEXT), '$.actor.session') IS NOT NULL;
    INSERT INTO ledger_source(source, at, idx)
        SELECT json_extract(CAST(entry AS TEXT), '$.actor.source'), at, idx FROM ledger_entry
        WHERE json_extract(CAST(entry AS TEXT), '$.actor.source') IS NOT NULL;
    CREATE TRIGGER ledger_entry_index_actor AFTER INSERT ON ledger_entry
    BEGIN
        INSERT INTO ledger_session(session_id, at, idx)
            SELECT s, NEW.at, NEW.idx FROM (SELECT json_extract(CAST(NEW.entry AS TEXT), '$.actor.session') AS s) WHERE s IS NOT NULL;
        INSERT INTO ledger_source(source, at, idx)
            SELECT s, NEW.at, NEW.idx FROM (SELECT json_extract(CAST(NEW.entry AS TEXT), '$.actor.source') AS s) WHERE s IS NOT NULL;
    END;
    CREATE TRIGGER ledger_session_no_delete BEFORE DELETE ON ledger_session
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_session_no_update BEFORE UPDATE ON ledger_session
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_source_no_delete BEFORE DELETE ON ledger_source
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_source_no_update BEFORE UPDATE ON ledger_source
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

    -- The breach register (GDPR art. 33(5)): every incident, its facts, effects and remedial
    -- action. Incidents are never deleted; every change is kept in breach_incident_change.
    CREATE TABLE breach_incident (
        id TEXT PRIMARY KEY NOT NULL,
        title TEXT NOT NULL,
        nature TEXT NOT NULL,
        facts TEXT NOT NULL,
        effects TEXT NOT NULL,
        remedial TEXT NOT NULL,
        consequences TEXT NOT NULL,
        detected_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'contained', 'notified', 'closed')),
        encrypted_and_keys_safe INTEGER NOT NULL CHECK (encrypted_and_keys_safe IN (0, 1)),
        scope TEXT NOT NULL,
        notified_authority_at INTEGER,
        created_at INTEGER NOT NULL,
        created_by TEXT,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX breach_incident_by_detection ON breach_incident(detected_at);
    CREATE TABLE breach_incident_change (
        incident_id TEXT NOT NULL REFERENCES breach_incident(id),
        at INTEGER NOT NULL,
        by TEXT,
        change TEXT NOT NULL
    ) STRICT;
    CREATE INDEX breach_incident_change_by_incident ON breach_incident_change(incident_id, at);
    CREATE TRIGGER breach_incident_no_delete BEFORE DELETE ON breach_incident
        BEGIN SELECT RAISE(ABORT, 'the breach register keeps every incident'); END;
    CREATE TRIGGER breach_incident_change_no_delete BEFORE DELETE ON breach_incident_change
        BEGIN SELECT RAISE(ABORT, 'the breach register keeps every change'); END;
    CREATE TRIGGER breach_incident_change_no_update BEFORE UPDATE ON breach_incident_change
        BEGIN SELECT RAISE(ABORT, 'the breach register keeps every change'); END;
    """
}
