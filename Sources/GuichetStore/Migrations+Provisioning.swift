import GRDB

extension Migrations {
    /// Provisioning from an empty start (issue 16, items 1 and 3): territories, leavers and
    /// claim codes. Rows of all three are never deleted.
    static let vProvisioning = """
    -- The territories a deployment serves (a département, a region): organisations, accounts
    -- and dossiers name one by its code.
    CREATE TABLE territory (
        code TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        created_by TEXT
    ) STRICT;
    CREATE TRIGGER territory_is_kept BEFORE DELETE ON territory
    BEGIN SELECT RAISE(ABORT, 'territories are kept'); END;

    -- Accounts of people who left: disabled for good. Nothing makes such an account active
    -- again (a security officer's reinstatement lifts a watch suspension, not a departure).
    CREATE TABLE account_departure (
        account_id TEXT PRIMARY KEY NOT NULL REFERENCES account(id),
        at INTEGER NOT NULL,
        by TEXT,
        reason TEXT NOT NULL
    ) STRICT;
    CREATE TRIGGER account_departure_is_kept BEFORE DELETE ON account_departure
    BEGIN SELECT RAISE(ABORT, 'departures are kept'); END;
    CREATE TRIGGER account_departure_no_update BEFORE UPDATE ON account_departure
    BEGIN SELECT RAISE(ABORT, 'departures are kept'); END;
    CREATE TRIGGER account_left_stays_disabled BEFORE UPDATE OF status ON account
    WHEN NEW.status != 'disabled' AND EXISTS (SELECT 1 FROM account_departure WHERE account_id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'this account belongs to someone who left'); END;

    -- One-time claim codes: a citizen links a new account to their existing person with one.
    -- The locator (the code's first group) finds the code and keys its throttle; only the hash
    -- of the whole code is kept.
    CREATE TABLE claim_code (
        id TEXT PRIMARY KEY NOT NULL,
        locator TEXT NOT NULL,
        person_id TEXT NOT NULL REFERENCES person(id),
        code_hash BLOB NOT NULL UNIQUE,
        issued_by TEXT,
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('issued', 'used', 'replaced')),
        used_at INTEGER,
        used_by_account TEXT REFERENCES account(id),
        CHECK ((status = 'used') = (used_by_account IS NOT NULL))
    ) STRICT;
    CREATE UNIQUE INDEX claim_code_live_locator ON claim_code(locator) WHERE status = 'issued';
    CREATE INDEX claim_code_by_person ON claim_code(person_id, issued_at);
    CREATE TRIGGER claim_code_is_kept BEFORE DELETE ON claim_code
    BEGIN SELECT RAISE(ABORT, 'claim codes are kept'); END;

    -- Accounts the server's command line made while provisioning (not `init` or `demo`): the
    -- watch's lifecycle detector looks at their first minutes as at those of an account made
    -- over the admin API.
    ALTER TABLE account ADD COLUMN provisioned_on_console INTEGER NOT NULL DEFAULT 0 CHECK (provisioned_on_console IN (0, 1));
    """
}
