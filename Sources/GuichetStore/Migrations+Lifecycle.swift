/// Data lifecycle (issue 20): archive and erasure marks, archive reads approved by a second
/// person, erasure requests and their receipts.
extension Migrations {
    static let vLifecycle = """
    -- Where a dossier stands in its retention: archived (readable only through an approved
    -- archive read), erased (its data key and those of its persons shredded). Never deleted.
    CREATE TABLE dossier_lifecycle (
        dossier_id TEXT PRIMARY KEY NOT NULL REFERENCES dossier(id),
        archived_at INTEGER,
        erased_at INTEGER
    ) STRICT, WITHOUT ROWID;
    -- Retention finds what is due by age within a type and state, so that a run costs what is
    -- due, not the size of the state (an idle daily run reads nothing).
    CREATE INDEX dossier_by_type_status_age ON dossier(type, status, updated_at, id);
    CREATE TRIGGER dossier_lifecycle_no_delete BEFORE DELETE ON dossier_lifecycle
        BEGIN SELECT RAISE(ABORT, 'lifecycle marks are kept'); END;

    -- One account asks to read an archived dossier for a purpose, another approves (C13).
    CREATE TABLE archive_request (
        id TEXT PRIMARY KEY NOT NULL,
        dossier_id TEXT NOT NULL REFERENCES dossier(id),
        account_id TEXT NOT NULL REFERENCES account(id),
        purpose TEXT NOT NULL,
        reference TEXT NOT NULL,
        requested_at INTEGER NOT NULL,
        approved_by TEXT REFERENCES account(id),
        approved_at INTEGER,
        expires_at INTEGER,
        CHECK (approved_by IS NULL OR approved_by != account_id)
    ) STRICT;
    CREATE INDEX archive_request_by_reader ON archive_request(account_id, dossier_id, expires_at);

    -- Erasure requests (GDPR art. 17) as recorded by an officer, with the ledger entry that
    -- proves the erasure.
    CREATE TABLE erasure_request (
        id TEXT PRIMARY KEY NOT NULL,
        person_id TEXT NOT NULL REFERENCES person(id),
        recorded_by TEXT NOT NULL REFERENCES account(id),
        reference TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        ledger_index INTEGER NOT NULL,
        receipt TEXT NOT NULL
    ) STRICT;
    CREATE INDEX erasure_request_by_person ON erasure_request(person_id);

    -- Partner exports (C11): who received which file, until when; and the canary rows that
    -- name the recipient when the file leaks.
    CREATE TABLE partner_export (
        id TEXT PRIMARY KEY NOT NULL,
        account_id TEXT NOT NULL REFERENCES account(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        dossiers INTEGER NOT NULL,
        persons INTEGER NOT NULL,
        ledger_index INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE export_canary (
        row_id TEXT PRIMARY KEY NOT NULL,
        export_id TEXT NOT NULL REFERENCES partner_export(id)
    ) STRICT, WITHOUT ROWID;
    """

    static let vKeptFields = """
    -- Fields kept for a legal duty through an erasure (GDPR art. 17(3)(b)): the values the
    -- profile keeps, sealed again at erasure time under a data key of their own (data_key
    -- subject 'kept:<id>'), which the erasure does not destroy and retention destroys when
    -- `kept_until` is past. `persons` maps a kept person path to the person's id (ids only).
    CREATE TABLE kept_fields (
        id TEXT PRIMARY KEY NOT NULL,
        dossier_id TEXT NOT NULL REFERENCES dossier(id),
        persons TEXT NOT NULL,
        fields BLOB NOT NULL,
        kept_at INTEGER NOT NULL,
        kept_until INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX kept_fields_by_dossier ON kept_fields(dossier_id);
    CREATE INDEX kept_fields_by_expiry ON kept_fields(kept_until);
    CREATE TRIGGER kept_fields_no_delete BEFORE DELETE ON kept_fields
        BEGIN SELECT RAISE(ABORT, 'kept fields are shredded, not deleted'); END;
    """

    static let vBirthYear = """
    -- A keyed tag of the birth year of each person whose profile field `statistics.age.field`
    -- is set (the blind index of the year, never the year), written with the person's search
    -- terms: statistics count by age band from it without decrypting anything, mapping the
    -- tags of the possible years back with the key file (docs/LIFECYCLE.md). It goes with the
    -- search terms when the person is erased.
    CREATE TABLE person_birth_year (
        person_id TEXT PRIMARY KEY NOT NULL REFERENCES person(id),
        tag TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
    """
}
