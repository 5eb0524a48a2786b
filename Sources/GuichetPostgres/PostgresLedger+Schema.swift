import Logging
import PostgresNIO

extension PostgresLedger {
    /// Migrations in PostgreSQL's SQL, each applied once, in order, in one transaction with
    /// its record in `guichet_migration`; two servers starting at once take turns (an
    /// advisory lock). Never edited once released, like SQLite's.
    static let migrations: [(name: String, statements: [String])] = [
        ("ledger-v1", [
            "CREATE TABLE ledger_entry (idx BIGINT PRIMARY KEY, entry BYTEA NOT NULL, at BIGINT NOT NULL, account_id TEXT, request_id TEXT NOT NULL)",
            "CREATE INDEX ledger_by_account ON ledger_entry(account_id, at, idx)",
            "CREATE INDEX ledger_by_time ON ledger_entry(at, idx)",
            "CREATE TABLE ledger_node (level INT NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (level, idx))",
            "CREATE TABLE ledger_checkpoint (size BIGINT PRIMARY KEY, root BYTEA NOT NULL, note TEXT NOT NULL, at BIGINT NOT NULL)",
            "CREATE TABLE ledger_person (person_id TEXT NOT NULL, idx BIGINT NOT NULL, PRIMARY KEY (person_id, idx))",
            "CREATE TABLE ledger_dossier (dossier_id TEXT NOT NULL, idx BIGINT NOT NULL, PRIMARY KEY (dossier_id, idx))",
            "CREATE TABLE ledger_session (session_id TEXT NOT NULL, at BIGINT NOT NULL, idx BIGINT NOT NULL, PRIMARY KEY (session_id, at, idx))",
            "CREATE TABLE ledger_source (source TEXT NOT NULL, at BIGINT NOT NULL, idx BIGINT NOT NULL, PRIMARY KEY (source, at, idx))",
            // An entry's references until they are integrated into the four indexes above.
            "CREATE TABLE ledger_tail (idx BIGINT PRIMARY KEY, at BIGINT NOT NULL, session_id TEXT, source TEXT, persons TEXT[] NOT NULL, dossiers TEXT[] NOT NULL)",
            "CREATE TABLE ledger_integration (id INT PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL)",
            "INSERT INTO ledger_integration(id, size) VALUES (1, 0)",
            // Append-only, enforced by the database (as SQLite's triggers do).
            """
            CREATE FUNCTION guichet_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME; END $$
            """,
            """
            CREATE FUNCTION guichet_tail_integrated() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF OLD.idx >= (SELECT size FROM ledger_integration) THEN
                    RAISE EXCEPTION 'a ledger entry is removed from the tail only once its indexes hold it';
                END IF;
                RETURN OLD;
            END $$
            """,
            """
            CREATE FUNCTION guichet_integration_forward() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.size < OLD.size OR NEW.size > (SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entry) THEN
                    RAISE EXCEPTION 'the ledger is append-only (integration moves forward only)';
                END IF;
                RETURN NEW;
            END $$
            """,
        ] + ["ledger_entry", "ledger_node", "ledger_checkpoint", "ledger_person", "ledger_dossier", "ledger_session", "ledger_source"].map { t in
            // Per statement: a DELETE that matches no row is refused too.
            "CREATE TRIGGER \(t)_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON \(t) FOR EACH STATEMENT EXECUTE FUNCTION guichet_append_only()"
        } + [
            "CREATE TRIGGER ledger_tail_no_update BEFORE UPDATE OR TRUNCATE ON ledger_tail FOR EACH STATEMENT EXECUTE FUNCTION guichet_append_only()",
            "CREATE TRIGGER ledger_tail_integrated BEFORE DELETE ON ledger_tail FOR EACH ROW EXECUTE FUNCTION guichet_tail_integrated()",
            "CREATE TRIGGER ledger_integration_forward BEFORE UPDATE ON ledger_integration FOR EACH ROW EXECUTE FUNCTION guichet_integration_forward()",
            "CREATE TRIGGER ledger_integration_no_delete BEFORE DELETE OR TRUNCATE ON ledger_integration FOR EACH STATEMENT EXECUTE FUNCTION guichet_append_only()",
        ]),
        ("ledger-append", [
            // One durable append in one statement: the lock, the size check, the inserts. It
            // inserts nothing and returns the stored size when that is not `p_start` (another
            // process appended: the caller rebases and calls it again under the lock).
            """
            CREATE FUNCTION guichet_ledger_append(p_start BIGINT, p_idx BIGINT[], p_entry BYTEA[], p_at BIGINT[], p_account TEXT[],
                p_request TEXT[], p_session TEXT[], p_source TEXT[], p_persons TEXT[], p_dossiers TEXT[],
                p_level INT[], p_node BIGINT[], p_hash BYTEA[]) RETURNS BIGINT LANGUAGE plpgsql AS $$
            DECLARE stored BIGINT;
            BEGIN
                PERFORM pg_advisory_xact_lock(\(appendLock));
                SELECT COALESCE(MAX(idx) + 1, 0) INTO stored FROM ledger_entry;
                IF stored <> p_start THEN RETURN stored; END IF;
                INSERT INTO ledger_entry(idx, entry, at, account_id, request_id)
                    SELECT i, e, t, NULLIF(a, ''), r FROM unnest(p_idx, p_entry, p_at, p_account, p_request) AS u(i, e, t, a, r);
                INSERT INTO ledger_tail(idx, at, session_id, source, persons, dossiers)
                    SELECT i, t, NULLIF(s, ''), NULLIF(a, ''), COALESCE(string_to_array(NULLIF(p, ''), ','), '{}'),
                           COALESCE(string_to_array(NULLIF(d, ''), ','), '{}')
                    FROM unnest(p_idx, p_at, p_session, p_source, p_persons, p_dossiers) AS u(i, t, s, a, p, d);
                INSERT INTO ledger_node(level, idx, hash) SELECT * FROM unnest(p_level, p_node, p_hash);
                RETURN p_start;
            END $$
            """,
        ]),
    ]
}
