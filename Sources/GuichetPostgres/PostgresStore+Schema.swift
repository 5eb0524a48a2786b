import Foundation

extension PostgresStore {
    /// The registry's tables in PostgreSQL's SQL (issue 19, item 2): the same tables, columns
    /// and rules as SQLite's migrations (`Sources/GuichetStore/Migrations*.swift`), written
    /// once as PostgreSQL's first version since no PostgreSQL registry predates them. Applied
    /// like the ledger's, under the same advisory lock, recorded in `guichet_migration`; never
    /// edited once released.
    ///
    /// Differences from SQLite's, none of them in meaning: instants are BIGINT milliseconds as
    /// there; yes/no columns are BOOLEAN; a rule SQLite enforces with `RAISE(ABORT)` is a
    /// trigger calling `guichet_kept()` (per statement, so that even a DELETE matching no row
    /// is refused); rows SQLite orders by `rowid` carry a `seq` column.
    ///
    /// This first version holds what the authenticator, the watch and the breach register use
    /// (accounts, sessions, factors, throttles, codes, persons, watch and breach tables); the
    /// dossiers' tables follow with the gate's storage.
    static let migrations: [(name: String, statements: [String])] = [
        ("store-v1", [
            """
            CREATE FUNCTION guichet_kept() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '% (% on %)', TG_ARGV[0], TG_OP, TG_TABLE_NAME; END $$
            """,
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """
            CREATE TABLE organisation (id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, territory TEXT,
                capacity INT, created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX organisation_by_kind ON organisation(kind, name)",
            "CREATE TABLE territory (code TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL, created_by TEXT)",
            "CREATE TABLE person (id TEXT PRIMARY KEY, version INT NOT NULL CHECK (version >= 1), fields BYTEA NOT NULL, updated_at BIGINT NOT NULL)",
            """
            CREATE TABLE data_key (subject_id TEXT PRIMARY KEY, kek_version INT NOT NULL, wrapped BYTEA, created_at BIGINT NOT NULL,
                shredded_at BIGINT, CHECK ((wrapped IS NULL) = (shredded_at IS NOT NULL)))
            """,
            "CREATE INDEX data_key_by_version ON data_key(kek_version) WHERE wrapped IS NOT NULL",
            """
            CREATE TABLE person_version (person_id TEXT NOT NULL REFERENCES person(id), version INT NOT NULL, fields BYTEA NOT NULL,
                changed_at BIGINT NOT NULL, changed_by TEXT, change TEXT NOT NULL, PRIMARY KEY (person_id, version))
            """,
            "CREATE TABLE person_term (field TEXT NOT NULL, term TEXT NOT NULL, person_id TEXT NOT NULL REFERENCES person(id), PRIMARY KEY (field, term, person_id))",
            "CREATE INDEX person_term_by_person ON person_term(person_id)",
            "CREATE TABLE person_birth_year (person_id TEXT PRIMARY KEY REFERENCES person(id), tag TEXT NOT NULL)",
            """
            CREATE TABLE account (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, role TEXT NOT NULL,
                organisation_id TEXT REFERENCES organisation(id), person_id TEXT REFERENCES person(id), territory TEXT,
                status TEXT NOT NULL CHECK (status IN ('active', 'pending', 'disabled')), created_at BIGINT NOT NULL, created_by TEXT,
                contact BYTEA, provisioned_on_console BOOLEAN NOT NULL DEFAULT false)
            """,
            "CREATE INDEX account_by_person ON account(person_id)",
            """
            CREATE TABLE account_request (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id),
                kind TEXT NOT NULL CHECK (kind IN ('create', 'elevate')), role TEXT NOT NULL,
                requested_by TEXT NOT NULL REFERENCES account(id), requested_at BIGINT NOT NULL,
                approved_by TEXT REFERENCES account(id), approved_at BIGINT, CHECK (approved_by IS NULL OR approved_by <> requested_by))
            """,
            "CREATE TABLE sign_in_throttle (key TEXT PRIMARY KEY, failures INT NOT NULL, last_attempt_at BIGINT NOT NULL, locked BOOLEAN NOT NULL)",
            """
            CREATE TABLE account_notice (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id), at BIGINT NOT NULL,
                kind TEXT NOT NULL, detail TEXT NOT NULL, seen BOOLEAN NOT NULL DEFAULT false)
            """,
            "CREATE INDEX account_notice_by_account ON account_notice(account_id, at)",
            """
            CREATE TABLE session (token_hash BYTEA PRIMARY KEY, id TEXT NOT NULL UNIQUE, account_id TEXT NOT NULL REFERENCES account(id),
                created_at BIGINT NOT NULL, last_seen_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT, second_factor_at BIGINT)
            """,
            "CREATE INDEX session_by_account ON session(account_id)",
            """
            CREATE TABLE second_factor (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id),
                kind TEXT NOT NULL CHECK (kind IN ('totp', 'webauthn', 'recovery')), secret BYTEA NOT NULL, credential_id BYTEA,
                counter BIGINT NOT NULL DEFAULT 0, confirmed BOOLEAN NOT NULL, created_at BIGINT NOT NULL, seq BIGSERIAL)
            """,
            "CREATE INDEX second_factor_by_account ON second_factor(account_id, kind)",
            "CREATE TABLE mfa_challenge (session_id TEXT PRIMARY KEY, challenge BYTEA NOT NULL, kind TEXT NOT NULL, expires_at BIGINT NOT NULL)",
            """
            CREATE TABLE activation_code (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id), code_hash BYTEA UNIQUE,
                delivery TEXT NOT NULL CHECK (delivery IN ('email', 'hand')), issued_by TEXT REFERENCES account(id),
                issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, approved_by TEXT REFERENCES account(id),
                status TEXT NOT NULL CHECK (status IN ('awaiting-approval', 'sending', 'issued', 'not-sent', 'used', 'replaced')),
                used_at BIGINT, used_session TEXT, seq BIGSERIAL,
                CHECK (approved_by IS NULL OR approved_by <> issued_by), CHECK (status = 'awaiting-approval' OR code_hash IS NOT NULL))
            """,
            "CREATE INDEX activation_code_by_account ON activation_code(account_id, issued_at)",
            "CREATE INDEX activation_code_by_session ON activation_code(used_session) WHERE used_session IS NOT NULL",
            "CREATE TABLE account_departure (account_id TEXT PRIMARY KEY REFERENCES account(id), at BIGINT NOT NULL, by TEXT, reason TEXT NOT NULL)",
            """
            CREATE FUNCTION guichet_left_stays_disabled() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.status <> 'disabled' AND EXISTS (SELECT 1 FROM account_departure WHERE account_id = NEW.id) THEN
                    RAISE EXCEPTION 'this account belongs to someone who left';
                END IF;
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER account_left_stays_disabled BEFORE UPDATE OF status ON account FOR EACH ROW EXECUTE FUNCTION guichet_left_stays_disabled()",
            """
            CREATE TABLE claim_code (id TEXT PRIMARY KEY, locator TEXT NOT NULL, person_id TEXT NOT NULL REFERENCES person(id),
                code_hash BYTEA NOT NULL UNIQUE, issued_by TEXT, issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('issued', 'used', 'replaced')), used_at BIGINT,
                used_by_account TEXT REFERENCES account(id), seq BIGSERIAL, CHECK ((status = 'used') = (used_by_account IS NOT NULL)))
            """,
            "CREATE UNIQUE INDEX claim_code_live_locator ON claim_code(locator) WHERE status = 'issued'",
            "CREATE INDEX claim_code_by_person ON claim_code(person_id, issued_at)",
            """
            CREATE TABLE password_reset (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id), token_hash BYTEA NOT NULL UNIQUE,
                requested_by TEXT NOT NULL REFERENCES account(id), requested_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'not-sent', 'used')), used_at BIGINT)
            """,
            "CREATE INDEX password_reset_by_account ON password_reset(account_id, requested_at)",
            // The watch (issue 7).
            // `version` advances on every write: a server writes an account's state only over the
            // version it read (SharedWatchStorage).
            """
            CREATE TABLE watch_state (account_id TEXT PRIMARY KEY REFERENCES account(id), state BYTEA NOT NULL, updated_at BIGINT NOT NULL,
                version BIGINT NOT NULL DEFAULT 1)
            """,
            "CREATE TABLE watch_honeytoken (tag BYTEA PRIMARY KEY)",
            """
            CREATE TABLE watched_person (person_id TEXT PRIMARY KEY REFERENCES person(id), reason TEXT NOT NULL,
                flagged_by TEXT NOT NULL REFERENCES account(id), flagged_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE watch_alert (id TEXT PRIMARY KEY, at BIGINT NOT NULL, account_id TEXT, detector TEXT NOT NULL, severity TEXT NOT NULL,
                response TEXT NOT NULL, detail TEXT NOT NULL, justification TEXT, acknowledged_by TEXT REFERENCES account(id),
                acknowledged_at BIGINT, note TEXT)
            """,
            "CREATE INDEX watch_alert_open ON watch_alert(acknowledged_at, at)",
            """
            CREATE TABLE watch_suspension (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id), at BIGINT NOT NULL,
                reason TEXT NOT NULL, reinstated_by TEXT REFERENCES account(id), reinstated_at BIGINT, reinstate_reason TEXT,
                CHECK ((reinstated_by IS NULL) = (reinstated_at IS NULL)))
            """,
            "CREATE INDEX watch_suspension_by_account ON watch_suspension(account_id, at)",
            // At most one open suspension per account, whichever server suspends.
            "CREATE UNIQUE INDEX watch_suspension_open ON watch_suspension(account_id) WHERE reinstated_at IS NULL",
            // The breach register (GDPR art. 33(5)).
            """
            CREATE TABLE breach_incident (id TEXT PRIMARY KEY, title TEXT NOT NULL, nature TEXT NOT NULL, facts TEXT NOT NULL,
                effects TEXT NOT NULL, remedial TEXT NOT NULL, consequences TEXT NOT NULL, detected_at BIGINT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('open', 'contained', 'notified', 'closed')),
                encrypted_and_keys_safe BOOLEAN NOT NULL, scope TEXT NOT NULL, notified_authority_at BIGINT,
                created_at BIGINT NOT NULL, created_by TEXT, updated_at BIGINT NOT NULL)
            """,
            "CREATE INDEX breach_incident_by_detection ON breach_incident(detected_at)",
            """
            CREATE TABLE breach_incident_change (seq BIGSERIAL PRIMARY KEY, incident_id TEXT NOT NULL REFERENCES breach_incident(id),
                at BIGINT NOT NULL, by TEXT, change TEXT NOT NULL)
            """,
            "CREATE INDEX breach_incident_change_by_incident ON breach_incident_change(incident_id, at)",
        ] + kept([
            ("data_key", "DELETE", "data keys are shredded, not deleted"),
            ("person", "DELETE", "persons are never deleted"),
            ("person_version", "UPDATE OR DELETE", "versions are kept"),
            ("territory", "DELETE", "territories are kept"),
            ("account_departure", "UPDATE OR DELETE", "departures are kept"),
            ("activation_code", "DELETE", "activation codes are kept"),
            ("claim_code", "DELETE", "claim codes are kept"),
            ("password_reset", "DELETE", "password resets are kept"),
            ("breach_incident", "DELETE", "the breach register keeps every incident"),
            ("breach_incident_change", "UPDATE OR DELETE", "the breach register keeps every change"),
        ])),
        // Failed attempts per source address, counted once for every server (issue 19, item 3;
        // one server keeps them in memory). A row lives one window of its limit, then goes.
        ("store-v2-source-limits", [
            "CREATE TABLE source_failure (seq BIGSERIAL PRIMARY KEY, limit_name TEXT NOT NULL, source TEXT NOT NULL, at BIGINT NOT NULL)",
            "CREATE INDEX source_failure_by_source ON source_failure(limit_name, source, at)",
        ]),
        // The gate's tables: dossiers, their links and versions, break-glass, lifecycle, kept
        // fields, exports, caseload requests, the notice outbox, federated identities, imports.
        ("store-v3-gate", [
            """
            CREATE TABLE dossier (id TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL, organisation_id TEXT REFERENCES organisation(id),
                assigned_agent_id TEXT REFERENCES account(id), territory TEXT, version INT NOT NULL CHECK (version >= 1), fields BYTEA NOT NULL,
                created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            "CREATE INDEX dossier_by_type_status ON dossier(type, status, id)",
            "CREATE INDEX dossier_by_type_status_age ON dossier(type, status, updated_at, id)",
            "CREATE INDEX dossier_by_organisation ON dossier(organisation_id, id)",
            "CREATE INDEX dossier_by_agent ON dossier(assigned_agent_id, id)",
            "CREATE INDEX dossier_by_territory ON dossier(territory, id)",
            """
            CREATE TABLE dossier_person (dossier_id TEXT NOT NULL REFERENCES dossier(id), person_id TEXT NOT NULL REFERENCES person(id),
                role TEXT NOT NULL, position INT NOT NULL, PRIMARY KEY (dossier_id, role, position))
            """,
            "CREATE INDEX dossier_person_by_person ON dossier_person(person_id, role, dossier_id)",
            """
            CREATE TABLE dossier_partner (dossier_id TEXT NOT NULL REFERENCES dossier(id), organisation_id TEXT NOT NULL REFERENCES organisation(id),
                rank INT NOT NULL CHECK (rank >= 1), PRIMARY KEY (dossier_id, organisation_id))
            """,
            "CREATE INDEX dossier_partner_by_organisation ON dossier_partner(organisation_id, dossier_id)",
            """
            CREATE TABLE dossier_version (dossier_id TEXT NOT NULL REFERENCES dossier(id), version INT NOT NULL, snapshot BYTEA NOT NULL,
                changed_at BIGINT NOT NULL, changed_by TEXT, change TEXT NOT NULL, PRIMARY KEY (dossier_id, version))
            """,
            """
            CREATE TABLE break_glass (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, dossier_id TEXT NOT NULL, justification BYTEA NOT NULL,
                opened_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, verdict TEXT CHECK (verdict IN ('justified', 'unjustified')),
                reviewed_by TEXT, reviewed_at BIGINT, review_note BYTEA,
                CHECK ((verdict IS NULL) = (reviewed_by IS NULL) AND (verdict IS NULL) = (reviewed_at IS NULL)),
                CHECK (reviewed_by IS NULL OR reviewed_by <> account_id))
            """,
            "CREATE INDEX break_glass_by_account ON break_glass(account_id, dossier_id, expires_at)",
            "CREATE INDEX break_glass_pending ON break_glass(opened_at) WHERE verdict IS NULL",
            "CREATE TABLE dossier_lifecycle (dossier_id TEXT PRIMARY KEY REFERENCES dossier(id), archived_at BIGINT, erased_at BIGINT)",
            """
            CREATE TABLE archive_request (id TEXT PRIMARY KEY, dossier_id TEXT NOT NULL REFERENCES dossier(id), account_id TEXT NOT NULL REFERENCES account(id),
                purpose TEXT NOT NULL, reference TEXT NOT NULL, requested_at BIGINT NOT NULL, approved_by TEXT REFERENCES account(id),
                approved_at BIGINT, expires_at BIGINT, CHECK (approved_by IS NULL OR approved_by <> account_id))
            """,
            "CREATE INDEX archive_request_by_reader ON archive_request(account_id, dossier_id, expires_at)",
            """
            CREATE TABLE erasure_request (id TEXT PRIMARY KEY, person_id TEXT NOT NULL REFERENCES person(id), recorded_by TEXT NOT NULL REFERENCES account(id),
                reference TEXT NOT NULL, recorded_at BIGINT NOT NULL, ledger_index BIGINT NOT NULL, receipt TEXT NOT NULL)
            """,
            "CREATE INDEX erasure_request_by_person ON erasure_request(person_id)",
            """
            CREATE TABLE partner_export (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id), created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL, dossiers INT NOT NULL, persons INT NOT NULL, ledger_index BIGINT NOT NULL)
            """,
            "CREATE TABLE export_canary (row_id TEXT PRIMARY KEY, export_id TEXT NOT NULL REFERENCES partner_export(id))",
            """
            CREATE TABLE kept_fields (id TEXT PRIMARY KEY, dossier_id TEXT NOT NULL REFERENCES dossier(id), persons TEXT NOT NULL,
                fields BYTEA NOT NULL, kept_at BIGINT NOT NULL, kept_until BIGINT NOT NULL)
            """,
            "CREATE INDEX kept_fields_by_dossier ON kept_fields(dossier_id)",
            "CREATE INDEX kept_fields_by_expiry ON kept_fields(kept_until)",
            """
            CREATE TABLE caseload_request (id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('assign', 'transfer')),
                from_account TEXT REFERENCES account(id), to_account TEXT NOT NULL REFERENCES account(id), dossiers TEXT NOT NULL,
                requested_by TEXT NOT NULL REFERENCES account(id), requested_at BIGINT NOT NULL, approved_by TEXT REFERENCES account(id),
                approved_at BIGINT, CHECK ((kind = 'transfer') = (from_account IS NOT NULL)), CHECK (approved_by IS NULL OR approved_by <> requested_by))
            """,
            "CREATE INDEX caseload_request_pending ON caseload_request(requested_at) WHERE approved_by IS NULL",
            """
            CREATE TABLE notice_outbox (dossier_id TEXT NOT NULL REFERENCES dossier(id), version INT NOT NULL, transition TEXT NOT NULL,
                created_at BIGINT NOT NULL, attempts INT NOT NULL DEFAULT 0, next_at BIGINT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'superseded', 'failed')), done_at BIGINT,
                PRIMARY KEY (dossier_id, version))
            """,
            "CREATE INDEX notice_outbox_due ON notice_outbox(next_at) WHERE status = 'pending'",
            """
            CREATE TABLE federated_identity (issuer TEXT NOT NULL, subject TEXT NOT NULL, account_id TEXT NOT NULL REFERENCES account(id),
                linked_at BIGINT NOT NULL, unlinked_at BIGINT, PRIMARY KEY (issuer, subject))
            """,
            "CREATE INDEX federated_identity_by_account ON federated_identity(account_id)",
            """
            CREATE TABLE import_run (id TEXT PRIMARY KEY, file_digest TEXT NOT NULL, mapping_digest TEXT NOT NULL, dossier_type TEXT NOT NULL,
                started_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, finished_at BIGINT, next_offset BIGINT NOT NULL, next_line BIGINT NOT NULL,
                dossiers BIGINT NOT NULL, persons BIGINT NOT NULL, skipped BIGINT NOT NULL)
            """,
            "CREATE INDEX import_run_by_file ON import_run(file_digest)",
        ] + kept([
            ("dossier", "DELETE", "dossiers are never deleted: withdraw them"),
            ("dossier_version", "UPDATE OR DELETE", "versions are kept"),
            ("break_glass", "DELETE", "break-glass records are kept"),
            ("dossier_lifecycle", "DELETE", "lifecycle marks are kept"),
            ("kept_fields", "DELETE", "kept fields are shredded, not deleted"),
            ("caseload_request", "DELETE", "caseload requests are kept"),
            ("federated_identity", "DELETE", "federated identity links are kept"),
        ])),
        // The SIEM exports' cursors, shared by the servers (one server keeps its own in a file).
        ("store-v4-siem-cursor", [
            "CREATE TABLE siem_cursor (name TEXT PRIMARY KEY, next BIGINT NOT NULL CHECK (next >= 0))",
        ]),
        // Blind indexes cut from 32 to 15 bytes of HMAC (`Vault.blindIndexBytes`, issue 18), as
        // SQLite's `v-short-terms`: a 43-character tag's first 20 characters are its 15-byte form.
        ("store-v5-short-terms", [
            "UPDATE person_term SET term = left(term, 20) WHERE length(term) = 43",
            "UPDATE person_birth_year SET tag = left(tag, 20) WHERE length(tag) = 43",
        ]),
        // Each recorded failure removes every failure of its limit that left the window, of any
        // address: addresses that never come back (an IPv6 prefix walked) no longer stay forever.
        ("store-v6-source-failure-window", [
            "CREATE INDEX source_failure_by_time ON source_failure(limit_name, at)",
        ]),
        // Second factors reset by an administrator after an identity check, as SQLite's
        // `v-factor-reset`: the account's mark until a first factor is enrolled again, and
        // every reset, kept.
        ("store-v7-factor-reset", [
            "ALTER TABLE account ADD COLUMN factors_reset_at BIGINT",
            """
            CREATE TABLE factor_reset (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id),
                reset_by TEXT REFERENCES account(id), reset_at BIGINT NOT NULL, reason TEXT NOT NULL,
                factors_removed INT NOT NULL, sessions_ended INT NOT NULL, seq BIGSERIAL,
                CHECK (reset_by IS NULL OR reset_by <> account_id))
            """,
            "CREATE INDEX factor_reset_by_account ON factor_reset(account_id, reset_at)",
        ] + kept([("factor_reset", "UPDATE OR DELETE", "factor resets are kept")])),
        // Deactivating a privileged account over the admin API waits for a second administrator
        // (C17), as SQLite's `v-departure-request`.
        ("store-v8-departure-request", [
            """
            CREATE TABLE departure_request (id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES account(id), reason TEXT NOT NULL,
                requested_by TEXT NOT NULL REFERENCES account(id), requested_at BIGINT NOT NULL, approved_by TEXT REFERENCES account(id),
                approved_at BIGINT, CHECK (requested_by <> account_id), CHECK (approved_by IS NULL OR approved_by <> requested_by),
                CHECK (approved_by IS NULL OR approved_by <> account_id), CHECK ((approved_by IS NULL) = (approved_at IS NULL)))
            """,
            "CREATE INDEX departure_request_pending ON departure_request(requested_at) WHERE approved_by IS NULL",
        ] + kept([("departure_request", "DELETE", "departure requests are kept")])),
        // A claim code keeps the address it was issued from (SQLite's `v-claim-issuer`): it is
        // not claimed from there, nor by the issuing account; codes are counted per issuer.
        ("store-v9-claim-issuer", [
            "ALTER TABLE claim_code ADD COLUMN issued_from TEXT",
            "CREATE INDEX claim_code_by_issuer ON claim_code(issued_by, issued_at) WHERE issued_by IS NOT NULL",
        ]),
        // SQLite's bulk imports stage their batches (issue 18); PostgreSQL writes every batch
        // directly, so its runs keep 0 here, and a copy from SQLite brings the column.
        ("store-v10-import-staged", [
            "ALTER TABLE import_run ADD COLUMN staged INTEGER NOT NULL DEFAULT 0",
        ]),
        // Accounts found by role without reading the citizens' (SQLite's `v-account-role`).
        ("store-v11-account-role", [
            "CREATE INDEX account_by_role ON account(role, username)",
        ]),
        // A person's sealed fields stored once (SQLite's `v-person-current-version`, issue 18):
        // `person` holds the current version with its author and kind of change,
        // `person_version` the versions it replaced, copied there by this trigger in the
        // update's own statement; an update of the fields that is not the next version is refused.
        ("store-v12-person-current-version", [
            "ALTER TABLE person ADD COLUMN changed_by TEXT, ADD COLUMN change TEXT",
            """
            CREATE FUNCTION guichet_person_keeps_versions() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.version <> OLD.version + 1 OR NEW.id <> OLD.id THEN
                    RAISE EXCEPTION 'a person changes only as its next version';
                END IF;
                INSERT INTO person_version(person_id, version, fields, changed_at, changed_by, change)
                VALUES (OLD.id, OLD.version, OLD.fields, OLD.updated_at, OLD.changed_by, coalesce(OLD.change, 'unrecorded'))
                ON CONFLICT DO NOTHING;
                RETURN NEW;
            END $$
            """,
            """
            CREATE TRIGGER person_keeps_versions BEFORE UPDATE OF id, version, fields ON person
                FOR EACH ROW EXECUTE FUNCTION guichet_person_keeps_versions()
            """,
        ]),
        // Each server copies the registry's erasures into its own erasure list, in the order
        // of their shredding (an operator's audit: a restore brought back the persons erased
        // by another server than the one whose list was used).
        ("store-v13-shredding-order", [
            "CREATE INDEX data_key_shredded ON data_key(shredded_at, subject_id) WHERE shredded_at IS NOT NULL",
        ]),
        // The officers' queue of alerts and suspensions is never emptied by a DELETE (SQLite's
        // `v-watch-kept`; an incident audit: the servers' role deleted both, and nothing noticed).
        ("store-v14-watch-kept", kept([
            ("watch_alert", "DELETE", "alerts are kept"),
            ("watch_suspension", "DELETE", "suspensions are kept"),
        ])),
        ("store-v15-watch-flag-history", [
            """
            CREATE TABLE watched_person_removed (person_id TEXT NOT NULL REFERENCES person(id), reason TEXT NOT NULL, flagged_by TEXT NOT NULL,
                flagged_at BIGINT NOT NULL, removed_by TEXT NOT NULL, removed_at BIGINT NOT NULL)
            """,
        ] + kept([("watched_person_removed", "DELETE OR UPDATE", "removed watch flags are kept")])),
    ]

    /// Per-statement triggers that refuse `operations` (and TRUNCATE) on each table with the
    /// same sentence as SQLite's.
    static func kept(_ rules: [(table: String, operations: String, sentence: String)]) -> [String] {
        rules.map { r in
            let quoted = r.sentence.replacingOccurrences(of: "'", with: "''")
            return "CREATE TRIGGER \(r.table)_is_kept BEFORE \(r.operations) OR TRUNCATE ON \(r.table) FOR EACH STATEMENT EXECUTE FUNCTION guichet_kept('\(quoted)')"
        }
    }
}
