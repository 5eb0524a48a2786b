import GRDB

/// The schema, as plain SQL. A migration that has shipped is never edited: add a new one.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-foundation") { db in
            try db.execute(sql: v1)
        }
        m.registerMigration("v-auth-reset") { db in try db.execute(sql: authReset) }
        m.registerMigration("v-breach") { db in
            try db.execute(sql: vBreach)
        }
        m.registerMigration("v-policy") { db in
            try db.execute(sql: vPolicy)
        }
        m.registerMigration("v-watch") { db in
            try db.execute(sql: vWatch)
        }
        // Newer ledger entries carry a keyed tag of the source address instead of the address
        // (citizens read entries whole for their proofs); the address is kept beside the entry
        // in ledger_source, written with it, and found by entry here.
        m.registerMigration("v-source-tag") { db in
            try db.execute(sql: "CREATE INDEX ledger_source_by_idx ON ledger_source(idx)")
        }
        // A first second factor needs a single-use code that reached the owner out of band.
        m.registerMigration("v-activation") { db in
            try db.execute(sql: vActivation)
        }
        // Territories, leavers and claim codes: a registry provisioned from an empty start.
        m.registerMigration("v-provisioning") { db in
            try db.execute(sql: vProvisioning)
        }
        // Imports of an existing registry, resumable batch by batch (issue 16).
        m.registerMigration("v-import") { db in try db.execute(sql: vImport) }
        // Caseload changes asked for over the admin API wait for a second administrator.
        m.registerMigration("v-caseload-request") { db in try db.execute(sql: vCaseloadRequest) }
        // Notices a transition owes (offer e-mails), kept until sent.
        m.registerMigration("v-notice-outbox") { db in try db.execute(sql: vNoticeOutbox) }
        // Federated sign-in: OpenID Connect subjects linked to accounts (issue #21 item 6).
        m.registerMigration("v-federation") { db in try db.execute(sql: vFederation) }
        // Retention, archive reads, erasure requests (issue 20).
        m.registerMigration("v-lifecycle") { db in try db.execute(sql: vLifecycle) }
        // Fields kept for a legal duty through an erasure (issue 20).
        m.registerMigration("v-kept-fields") { db in try db.execute(sql: vKeptFields) }
        // Keyed tags of birth years for statistics by age band (issue 20): never the year.
        m.registerMigration("v-birth-year") { db in try db.execute(sql: vBirthYear) }
        // The session and address indexes of the ledger are written by the one append
        // (`appendLedger`) instead of a trigger that parsed every entry's JSON twice (issue 18).
        m.registerMigration("v-ledger-direct-index") { db in try db.execute(sql: "DROP TRIGGER ledger_entry_index_actor") }
        // The person, dossier, session and address indexes of the ledger are integrated in
        // batches after the durable append; until then an entry's references wait in
        // ledger_tail, which every query of those indexes reads too (issue 18).
        m.registerMigration("v-ledger-tail") { db in try db.execute(sql: vLedgerTail) }
        // Blind indexes cut from 32 to 15 bytes of HMAC (`Vault.blindIndexBytes`, issue 18):
        // a 43-character tag's first 20 characters are its 15-byte form.
        m.registerMigration("v-short-terms") { db in try db.execute(sql: vShortTerms) }
        // The account index of the ledger is integrated after the append too, in a table of
        // its own; the entries still in ledger_tail are found through ledger_entry.account_id
        // (issue 18: with many accounts appending, each entry dirtied its own page of it).
        m.registerMigration("v-ledger-account") { db in try db.execute(sql: vLedgerAccount) }
        // Second factors reset by an administrator after an identity check, and the mark that
        // makes the account's next first factor need an activation code, even a citizen's.
        m.registerMigration("v-factor-reset") { db in try db.execute(sql: vFactorReset) }
        // Deactivating a privileged account over the admin API waits for a second administrator (C17).
        m.registerMigration("v-departure-request") { db in try db.execute(sql: vDepartureRequest) }
        // A claim code keeps the address it was issued from, so that it is not claimed from
        // there (nor by the issuing account), and codes are counted per issuing account.
        m.registerMigration("v-claim-issuer") { db in try db.execute(sql: vClaimIssuer) }
        // Bulk imports stage their batches without indexes and move them in at the end (issue 18).
        m.registerMigration("v-import-staged") { db in try db.execute(sql: vImportStaged) }
        // Accounts found by role (the security officers to tell, the staff to list) without
        // reading the citizens' accounts, millions in R4.
        m.registerMigration("v-account-role") { db in try db.execute(sql: "CREATE INDEX account_by_role ON account(role, username)") }
        // A person's sealed fields are stored once (issue 18): `person` holds the current
        // version with who made it and how, `person_version` the versions it replaced.
        m.registerMigration("v-person-current-version") { db in try db.execute(sql: vPersonCurrentVersion) }
        // The person and dossier indexes of the ledger refuse edits as the others do (an
        // incident audit found them without triggers; `ledger verify` checks every index too).
        m.registerMigration("v-ledger-index-append-only") { db in try db.execute(sql: vLedgerIndexAppendOnly) }
        // The officers' queue of alerts and suspensions is never emptied by a DELETE (an
        // incident audit: the servers' own database role deleted both, and nothing noticed).
        m.registerMigration("v-watch-kept") { db in try db.execute(sql: vWatchKept) }
        m.registerMigration("v-watch-flag-history") { db in try db.execute(sql: vWatchFlagHistory) }
        return m
    }

    static let vLedgerIndexAppendOnly = """
    CREATE TRIGGER ledger_person_no_delete BEFORE DELETE ON ledger_person
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_person_no_update BEFORE UPDATE ON ledger_person
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_dossier_no_delete BEFORE DELETE ON ledger_dossier
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_dossier_no_update BEFORE UPDATE ON ledger_dossier
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    """

    /// Watch flags removed, kept whole with who removed them and when (C9: a removal deleted
    /// the flag's sealed reason, its author and its time).
    static let vWatchFlagHistory = """
    CREATE TABLE watched_person_removed (
        person_id TEXT NOT NULL REFERENCES person(id),
        reason TEXT NOT NULL,
        flagged_by TEXT NOT NULL,
        flagged_at INTEGER NOT NULL,
        removed_by TEXT NOT NULL,
        removed_at INTEGER NOT NULL
    ) STRICT;
    CREATE TRIGGER watched_person_removed_no_delete BEFORE DELETE ON watched_person_removed
        BEGIN SELECT RAISE(ABORT, 'removed watch flags are kept'); END;
    CREATE TRIGGER watched_person_removed_no_update BEFORE UPDATE ON watched_person_removed
        BEGIN SELECT RAISE(ABORT, 'removed watch flags are kept'); END;
    """

    static let vWatchKept = """
    CREATE TRIGGER watch_alert_no_delete BEFORE DELETE ON watch_alert
        BEGIN SELECT RAISE(ABORT, 'alerts are kept'); END;
    CREATE TRIGGER watch_suspension_no_delete BEFORE DELETE ON watch_suspension
        BEGIN SELECT RAISE(ABORT, 'suspensions are kept'); END;
    """

    /// Until this migration every version of a person was in `person_version`, the current one
    /// included, so its sealed fields were stored twice (in `person` too): a bulk import wrote,
    /// sorted and moved them twice (issue 18). From here on `person` holds the current version
    /// with its author (`changed_by`) and kind of change (`change`), and `person_version` the
    /// versions it replaced: the trigger below copies the version an update replaces into
    /// `person_version`, in the update's own statement, so that no version is ever lost whatever
    /// code updates the row, and refuses an update of the fields that is not the next version.
    /// Persons stored before it keep their current version in `person_version` too (the copy
    /// then finds it there and keeps it); their `change` is NULL, read as 'unrecorded' when
    /// such a version is replaced.
    static let vPersonCurrentVersion = """
    ALTER TABLE person ADD COLUMN changed_by TEXT;
    ALTER TABLE person ADD COLUMN change TEXT;
    CREATE TRIGGER person_keeps_versions BEFORE UPDATE OF id, version, fields ON person
    BEGIN
        SELECT RAISE(ABORT, 'a person changes only as its next version') WHERE NEW.version <> OLD.version + 1 OR NEW.id <> OLD.id;
        INSERT OR IGNORE INTO person_version(person_id, version, fields, changed_at, changed_by, change)
            VALUES (OLD.id, OLD.version, OLD.fields, OLD.updated_at, OLD.changed_by, coalesce(OLD.change, 'unrecorded'));
    END;
    """

    static let vClaimIssuer = """
    ALTER TABLE claim_code ADD COLUMN issued_from TEXT;
    CREATE INDEX claim_code_by_issuer ON claim_code(issued_by, issued_at) WHERE issued_by IS NOT NULL;
    """

    static let vShortTerms = """
    UPDATE person_term SET term = substr(term, 1, 20) WHERE length(term) = 43;
    UPDATE person_birth_year SET tag = substr(tag, 1, 20) WHERE length(tag) = 43;
    """

    static let vLedgerAccount = """
    CREATE TABLE ledger_account (
        account_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        PRIMARY KEY (account_id, at, idx)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO ledger_account(account_id, at, idx)
        SELECT account_id, at, idx FROM ledger_entry
        WHERE account_id IS NOT NULL AND idx < (SELECT size FROM ledger_integration);
    DROP INDEX ledger_by_account;
    CREATE TRIGGER ledger_account_no_delete BEFORE DELETE ON ledger_account
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_account_no_update BEFORE UPDATE ON ledger_account
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    """

    static let vLedgerTail = """
    -- An entry's index references (persons, dossiers, session, source address), written in
    -- the append's own transaction and removed once integrated into ledger_person,
    -- ledger_dossier, ledger_session and ledger_source.
    CREATE TABLE ledger_tail (
        idx INTEGER PRIMARY KEY NOT NULL,
        at INTEGER NOT NULL,
        refs BLOB NOT NULL
    ) STRICT;
    -- How many entries the indexes hold: only grows, and a tail row goes only once integrated.
    CREATE TABLE ledger_integration (
        id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
        size INTEGER NOT NULL
    ) STRICT;
    INSERT INTO ledger_integration(id, size) SELECT 1, COALESCE(MAX(idx) + 1, 0) FROM ledger_entry;
    CREATE TRIGGER ledger_integration_no_delete BEFORE DELETE ON ledger_integration
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_integration_forward BEFORE UPDATE ON ledger_integration
        WHEN NEW.size < OLD.size OR NEW.size > (SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entry)
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_tail_integrated BEFORE DELETE ON ledger_tail
        WHEN OLD.idx >= (SELECT size FROM ledger_integration)
        BEGIN SELECT RAISE(ABORT, 'a ledger entry is removed from the tail only once its indexes hold it'); END;
    CREATE TRIGGER ledger_tail_no_update BEFORE UPDATE ON ledger_tail
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    """

    static let v1 = """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE organisation (
        id TEXT PRIMARY KEY NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        territory TEXT,
        capacity INTEGER,
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX organisation_by_kind ON organisation(kind, name);

    CREATE TABLE person (
        id TEXT PRIMARY KEY NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        fields BLOB NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;

    -- One data key per subject (a person, or a dossier for its own fields), stored only
    -- wrapped by a key-encryption key that is never in the database. Crypto-shredding sets
    -- `wrapped` to NULL: every field and every kept version of the subject becomes unreadable.
    CREATE TABLE data_key (
        subject_id TEXT PRIMARY KEY NOT NULL,
        kek_version INTEGER NOT NULL,
        wrapped BLOB,
        created_at INTEGER NOT NULL,
        shredded_at INTEGER,
        CHECK ((wrapped IS NULL) = (shredded_at IS NOT NULL))
    ) STRICT;
    CREATE INDEX data_key_by_version ON data_key(kek_version) WHERE wrapped IS NOT NULL;
    CREATE TRIGGER data_key_no_delete BEFORE DELETE ON data_key
        BEGIN SELECT RAISE(ABORT, 'data keys are shredded, not deleted'); END;

    -- Every version of every person, the current one included. Never updated, never deleted:
    -- erasure is by crypto-shredding (the vault), not by DELETE.
    CREATE TABLE person_version (
        person_id TEXT NOT NULL REFERENCES person(id),
        version INTEGER NOT NULL,
        fields BLOB NOT NULL,
        changed_at INTEGER NOT NULL,
        changed_by TEXT,
        change TEXT NOT NULL,
        PRIMARY KEY (person_id, version)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE account (
        id TEXT PRIMARY KEY NOT NULL,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        organisation_id TEXT REFERENCES organisation(id),
        person_id TEXT REFERENCES person(id),
        territory TEXT,
        status TEXT NOT NULL CHECK (status IN ('active', 'pending', 'disabled')),
        created_at INTEGER NOT NULL,
        created_by TEXT
    ) STRICT;
    CREATE INDEX account_by_person ON account(person_id);

    -- No privileged account by one hand (C17): creating or elevating a staff, partner or admin
    -- account is a request that a second administrator approves.
    CREATE TABLE account_request (
        id TEXT PRIMARY KEY NOT NULL,
        account_id TEXT NOT NULL REFERENCES account(id),
        kind TEXT NOT NULL CHECK (kind IN ('create', 'elevate')),
        role TEXT NOT NULL,
        requested_by TEXT NOT NULL REFERENCES account(id),
        requested_at INTEGER NOT NULL,
        approved_by TEXT REFERENCES account(id),
        approved_at INTEGER,
        CHECK (approved_by IS NULL OR approved_by != requested_by)
    ) STRICT;

    -- Sign-in throttling, keyed by a hash of the user name whether or not the account exists
    -- (so that throttling reveals nothing about which accounts exist).
    CREATE TABLE sign_in_throttle (
        key TEXT PRIMARY KEY NOT NULL,
        failures INTEGER NOT NULL,
        last_attempt_at INTEGER NOT NULL,
        locked INTEGER NOT NULL CHECK (locked IN (0, 1))
    ) STRICT;

    -- Things an account's owner must be told (suspicious sign-in attempts, resets...).
    CREATE TABLE account_notice (
        id TEXT PRIMARY KEY NOT NULL,
        account_id TEXT NOT NULL REFERENCES account(id),
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL,
        seen INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX account_notice_by_account ON account_notice(account_id, at);

    CREATE TABLE session (
        token_hash BLOB PRIMARY KEY NOT NULL,
        id TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL REFERENCES account(id),
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        revoked_at INTEGER,
        second_factor_at INTEGER
    ) STRICT;

    -- Second factors (C3). `secret`: for TOTP the sealed shared secret, for WebAuthn the
    -- public key, for a recovery code the SHA-256 of the code; never a secret in clear.
    -- `counter`: TOTP's last accepted time step, WebAuthn's sign count, 1 for a used code.
    CREATE TABLE second_factor (
        id TEXT PRIMARY KEY NOT NULL,
        account_id TEXT NOT NULL REFERENCES account(id),
        kind TEXT NOT NULL CHECK (kind IN ('totp', 'webauthn', 'recovery')),
        secret BLOB NOT NULL,
        credential_id BLOB,
        counter INTEGER NOT NULL DEFAULT 0,
        confirmed INTEGER NOT NULL CHECK (confirmed IN (0, 1)),
        created_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX second_factor_by_account ON second_factor(account_id, kind);

    -- One pending WebAuthn challenge per session, spent once.
    CREATE TABLE mfa_challenge (
        session_id TEXT PRIMARY KEY NOT NULL,
        challenge BLOB NOT NULL,
        kind TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX session_by_account ON session(account_id);

    CREATE TABLE dossier (
        id TEXT PRIMARY KEY NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        organisation_id TEXT REFERENCES organisation(id),
        assigned_agent_id TEXT REFERENCES account(id),
        territory TEXT,
        version INTEGER NOT NULL CHECK (version >= 1),
        fields BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX dossier_by_type_status ON dossier(type, status, id);
    CREATE INDEX dossier_by_organisation ON dossier(organisation_id, id);
    CREATE INDEX dossier_by_agent ON dossier(assigned_agent_id, id);
    CREATE INDEX dossier_by_territory ON dossier(territory, id);

    CREATE TABLE dossier_person (
        dossier_id TEXT NOT NULL REFERENCES dossier(id),
        person_id TEXT NOT NULL REFERENCES person(id),
        role TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (dossier_id, role, position)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX dossier_person_by_person ON dossier_person(person_id, role, dossier_id);

    CREATE TABLE dossier_partner (
        dossier_id TEXT NOT NULL REFERENCES dossier(id),
        organisation_id TEXT NOT NULL REFERENCES organisation(id),
        rank INTEGER NOT NULL CHECK (rank >= 1),
        PRIMARY KEY (dossier_id, organisation_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX dossier_partner_by_organisation ON dossier_partner(organisation_id, dossier_id);

    -- Every version of every dossier, the current one included: status, sealed fields, links.
    CREATE TABLE dossier_version (
        dossier_id TEXT NOT NULL REFERENCES dossier(id),
        version INTEGER NOT NULL,
        snapshot BLOB NOT NULL,
        changed_at INTEGER NOT NULL,
        changed_by TEXT,
        change TEXT NOT NULL,
        PRIMARY KEY (dossier_id, version)
    ) STRICT, WITHOUT ROWID;

    -- Blind indexes of searchable person fields: HMAC-SHA256 of the normalised value under
    -- the index key (never the value itself).
    CREATE TABLE person_term (
        field TEXT NOT NULL,
        term TEXT NOT NULL,
        person_id TEXT NOT NULL REFERENCES person(id),
        PRIMARY KEY (field, term, person_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX person_term_by_person ON person_term(person_id);

    -- The access ledger (C5, C6): every access to personal data, allowed or denied, as the
    -- leaves of an append-only Merkle tree (RFC 9162). `entry` is the canonical encoding that
    -- is hashed; the other columns and tables are indexes derived from it.
    CREATE TABLE ledger_entry (
        idx INTEGER PRIMARY KEY NOT NULL,
        entry BLOB NOT NULL,
        at INTEGER NOT NULL,
        account_id TEXT,
        request_id TEXT NOT NULL
    ) STRICT;
    CREATE INDEX ledger_by_account ON ledger_entry(account_id, at, idx);
    CREATE TABLE ledger_person (
        person_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        PRIMARY KEY (person_id, idx)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE ledger_dossier (
        dossier_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        PRIMARY KEY (dossier_id, idx)
    ) STRICT, WITHOUT ROWID;
    -- Hashes of complete subtrees (level 0: leaf hashes), kept so that proofs cost O(log² n).
    CREATE TABLE ledger_node (
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (level, idx)
    ) STRICT, WITHOUT ROWID;
    -- Signed checkpoints (C2SP tlog-checkpoint in a signed note).
    CREATE TABLE ledger_checkpoint (
        size INTEGER PRIMARY KEY NOT NULL,
        root BLOB NOT NULL,
        note TEXT NOT NULL,
        at INTEGER NOT NULL
    ) STRICT;

    -- No one deletes a dossier, a version or a journal entry; no one rewrites history.
    CREATE TRIGGER dossier_no_delete BEFORE DELETE ON dossier
        BEGIN SELECT RAISE(ABORT, 'dossiers are never deleted: withdraw them'); END;
    CREATE TRIGGER person_no_delete BEFORE DELETE ON person
        BEGIN SELECT RAISE(ABORT, 'persons are never deleted'); END;
    CREATE TRIGGER dossier_version_no_delete BEFORE DELETE ON dossier_version
        BEGIN SELECT RAISE(ABORT, 'versions are kept'); END;
    CREATE TRIGGER dossier_version_no_update BEFORE UPDATE ON dossier_version
        BEGIN SELECT RAISE(ABORT, 'versions are kept'); END;
    CREATE TRIGGER person_version_no_delete BEFORE DELETE ON person_version
        BEGIN SELECT RAISE(ABORT, 'versions are kept'); END;
    CREATE TRIGGER person_version_no_update BEFORE UPDATE ON person_version
        BEGIN SELECT RAISE(ABORT, 'versions are kept'); END;
    CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_node_no_delete BEFORE DELETE ON ledger_node
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_node_no_update BEFORE UPDATE ON ledger_node
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_checkpoint_no_delete BEFORE DELETE ON ledger_checkpoint
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_checkpoint_no_update BEFORE UPDATE ON ledger_checkpoint
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    """

    /// Break-glass openings (issue 5): an agent's access outside their scope, with its sealed
    /// justification, its expiry and the security officer's review. Never deleted.
    static let vPolicy = """
    CREATE TABLE break_glass (
        id TEXT PRIMARY KEY NOT NULL,
        account_id TEXT NOT NULL,
        dossier_id TEXT NOT NULL,
        justification BLOB NOT NULL,
        opened_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        verdict TEXT CHECK (verdict IN ('justified', 'unjustified')),
        reviewed_by TEXT,
        reviewed_at INTEGER,
        review_note BLOB,
        CHECK ((verdict IS NULL) = (reviewed_by IS NULL) AND (verdict IS NULL) = (reviewed_at IS NULL)),
        CHECK (reviewed_by IS NULL OR reviewed_by <> account_id)
    ) STRICT;
    CREATE INDEX break_glass_by_account ON break_glass(account_id, dossier_id, expires_at);
    CREATE INDEX break_glass_pending ON break_glass(opened_at) WHERE verdict IS NULL;
    CREATE TRIGGER break_glass_no_delete BEFORE DELETE ON break_glass
        BEGIN SELECT RAISE(ABORT, 'break-glass records are kept'); END;
    """
}
