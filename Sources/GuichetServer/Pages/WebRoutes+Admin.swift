import Foundation
import GuichetAuth
import GuichetBreach
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetStore
import GuichetWatch
import HTTPTypes
import Hummingbird

/// The admin listener's pages: administrators see organisations and accounts, ask for
/// accounts and approve other administrators' requests (the two-person rule); security
/// officers see the alert queue and the suspensions, acknowledge alerts and reinstate accounts.
/// Each calls what the admin API calls (``Provisioning``, the gate), with the same step-up.
extension GuichetServer {
    /// An alert's detail in the page's language; a new privileged account's names its role
    /// and the role's kind by their labels (a co-operative's audit read "un compte du rôle
    /// 'daycare' (partner) est devenu actif" on a French page).
    func alertDetail(_ detail: String, _ pages: WebPages, _ l: String) -> String {
        guard let m = detail.wholeMatch(of: #/an account of role '([^']+)' \(([a-z]+)\) became active/#) else {
            // A role or an action quoted in the detail, by its label (an incident audit read
            // "plafond 35 pour le rôle 'adviser'" and "demandé par 'read'" on a French page).
            return pages.generated(detail, l).replacing(#/'([a-z][a-z0-9:-]*)'/#) { q in
                let word = String(q.1)
                let label = profile.roles[word] != nil ? pages.optionalText("role_" + word, l) : Action(word) != nil ? pages.actionLabel(word, l) : nil
                guard let label else { return String(q.0) }
                return l == "fr" ? "«\u{00A0}\(label)\u{00A0}»" : "“\(label)”"
            }
        }
        return pages.text("alertNewPrivileged", l)
            .replacingOccurrences(of: "{role}", with: pages.optionalText("role_" + m.1, l) ?? String(m.1))
            .replacingOccurrences(of: "{kind}", with: pages.optionalText("roleKind_" + m.2, l) ?? String(m.2))
    }

    /// An administrator (or account administrator) of a page, with a fresh second factor, as a provisioner.
    func pageProvisioner(_ s: PageScope, _ ctx: GuichetContext) throws -> Provisioner {
        guard let p = s.principal else { throw GuichetError.unauthenticated }
        guard p.kind == .admin || p.kind == .accountAdmin else { throw GuichetError.forbidden("this needs an administrator account") }
        try auth.requireStepUp(p)
        return .administrator(p, requestID: Self.requestID(), source: ctx.source)
    }

    /// A security officer of a page (a fresh second factor for changes).
    func pageOfficer(_ s: PageScope, _ ctx: GuichetContext, fresh: Bool) throws -> GateRequest {
        guard let p = s.principal, p.kind == .security else { throw GuichetError.forbidden("only a security officer may do this") }
        if fresh { try auth.requireStepUp(p) } else if !p.mayReachPersonalData { throw GuichetError.forbidden("a second factor is required before any personal data") }
        return try gateRequest(s, ctx, purpose: nil)
    }

    /// The admin listener's home: the administrator's or the security officer's.
    func adminHome(_ req: Request, _ ctx: GuichetContext, _ s: PageScope) async throws -> Response {
        guard let p = s.principal else { throw GuichetError.unauthenticated }
        let done = req.uri.queryParameters.get("done")
        if p.kind == .security { return try await securityHome(s, ctx, done: done) }
        // The accounts page needs a code verified in the last five minutes: past them, the
        // second-factor step, then back here (an everyday users' audit reloaded the home after
        // five idle minutes and met an error page without a menu, whose "home" link led back).
        if (try? auth.requireStepUp(p)) == nil {
            let back = (s.prefix + "/home" + (done.map { "?done=" + $0 } ?? "")).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return WebPages.redirect("\(s.prefix)/second-factor?next=\(back)")
        }
        return try await accountsPage(s, ctx, made: nil, done: done)
    }

    /// The user names of the accounts that work in Guichet (every role but the citizens'), by
    /// id: what the pages name. Found by role, so that no page reads the citizens' accounts
    /// (millions in R4), and a citizen's user name is not shown to staff.
    func staffNames() async throws -> [AccountID: String] {
        Dictionary(try await store.accounts(roles: profile.roleNames { $0 != .citizen }).map { ($0.id, $0.username) }, uniquingKeysWith: { a, _ in a })
    }

    /// - Parameters:
    ///   - passwordReset: a reset code just sent (the account, where it went masked, until
    ///     when), or why it was not (`failed`).
    ///   - lookup: a user name an administrator looked for (a citizen's account is shown only
    ///     so: the list holds the accounts that work in Guichet).
    ///   - draft: a refused form ("account" or "organisation"), its values as typed (never a
    ///     password) and why it was refused.
    ///   - done: the `?done=` of the form that led here.
    func accountsPage(_ s: PageScope, _ ctx: GuichetContext, made: [String: Any]?, reset: [String: Any]? = nil,
                      left: [String: Any]? = nil, passwordReset: [String: Any]? = nil, status: HTTPResponse.Status = .ok,
                      lookup: String? = nil, draft: PageDraft? = nil, done: String? = nil, activation: [String: Any]? = nil) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        let by = try pageProvisioner(s, ctx)
        let organisations = try await organisationNames()
        // An account administrator sees its own organisation's accounts only, as the API's
        // refusals of the list to it mean (an attacker test: the page listed every office's
        // staff, and its look-up found any account, a citizen's or an administrator's).
        let scoped: OrganisationID?? = s.principal?.kind == .accountAdmin ? .some(s.principal?.organisation) : .none
        let staff = try await store.accounts(roles: profile.roleNames { $0 != .citizen }).filter { a in scoped.map { a.organisation == $0 && $0 != nil } ?? true }
        var found: AccountRecord?
        if let lookup {
            guard let account = try await store.account(username: lookup), scoped.map({ account.organisation == $0 && $0 != nil }) ?? true,
                  scoped == nil || profile.roles[account.role]?.kind != .citizen else {
                throw GuichetError.invalid("no account has that user name")
            }
            found = account
        }
        let all = found.map { [$0] } ?? staff
        // Colleagues who may take a caseload: the same role and organisation, active.
        var colleaguesOf: [String: [AccountRecord]] = [:]
        for a in staff where a.status == "active" { colleaguesOf["\(a.role)\u{0}\(a.organisation?.rawValue ?? "")", default: []].append(a) }
        var accounts: [[String: Any]] = []
        for a in all {
            var row: [String: Any] = ["username": a.username, "role": pages.optionalText("role_" + a.role, l) ?? a.role,
                                      "status": pages.optionalText("account_" + a.status, l) ?? a.status,
                                      "organisation": a.organisation.flatMap { organisations[$0] } ?? ""]
            // Caseloads: staff and partners' files, and their transfer to a colleague of the same
            // role and organisation (Provisioning refuses another role; staff files stay in
            // their organisation).
            if let kind = profile.roles[a.role]?.kind, kind == .staff || kind == .partner, profile.usesCaseloads(a.role) {
                let count = try await store.caseload(of: a.id).count
                row["caseload"] = count
                // The files by number, and a form to assign one (WebRoutes+Provisioning.swift).
                if let viewer = s.principal, viewer.kind == .admin { row["caseloadHref"] = "/web/admin/accounts/\(a.id.rawValue)/caseload" }
                let colleagues = (colleaguesOf["\(a.role)\u{0}\(a.organisation?.rawValue ?? "")"] ?? []).filter { $0.id != a.id }
                if count > 0 && !colleagues.isEmpty && scoped == nil {
                    row["transfer"] = ["action": "/web/admin/accounts/\(a.id.rawValue)/caseload/transfer", "id": "to-\(a.username)",
                                       "colleagues": colleagues.map { ["value": $0.id.rawValue, "label": $0.username] }] as [String: Any]
                }
            }
            // A factor reset (docs/AUTHENTICATION.md): an administrator's, of another account whose owner has
            // not left, and not a privileged one (those are reset on the console).
            if let viewer = s.principal, viewer.kind == .admin, viewer.account != a.id, a.status != "disabled",
               profile.roles[a.role]?.kind.usesAdminListener != true {
                row["resetFactors"] = ["action": "/web/admin/accounts/\(a.id.rawValue)/factors/reset", "id": "reset-\(a.username)"]
            }
            // A password reset code, to the owner's own address (an administrator's, of another
            // account still usable; the owner chooses the new password on /web/password-reset).
            // Without a mail relay no code can reach anyone: no form, a line under the table says so.
            if let viewer = s.principal, viewer.kind == .admin, viewer.account != a.id, a.status != "disabled", auth.mailer != nil {
                row["sendReset"] = ["action": "/web/admin/accounts/\(a.id.rawValue)/password-reset"]
            }
            // A leaver (docs/OPERATIONS.md, step 7): another account still active; a privileged
            // one waits for a second administrator (a new-user test found no page for it).
            if let viewer = s.principal, viewer.kind == .admin, viewer.account != a.id, a.status == "active", profile.roles[a.role]?.kind != .citizen {
                row["deactivate"] = ["action": "/web/admin/accounts/\(a.id.rawValue)/deactivate", "id": "leave-\(a.username)"]
            }
            accounts.append(row)
        }
        let names = Dictionary(staff.map { ($0.id, $0.username) }, uniquingKeysWith: { a, _ in a })
        // The requester cannot approve their own request (the two-person rule): no button, a line saying it waits.
        let me = s.principal?.account
        let requests = try await provisioning.pendingRequests(by: by).map { r -> [String: Any] in
            ["id": r.id, "account": names[r.account] ?? "", "role": pages.optionalText("role_" + r.role, l) ?? r.role,
             "requestedBy": names[r.requestedBy] ?? "", "mine": r.requestedBy == me, "action": "/web/admin/requests/\(r.id)/approve"]
        } + caseloadRequestRows(try await provisioning.pendingCaseloadRequests(by: by), names: names, me: me, pages, l)
          + provisioning.pendingDepartureRequests(by: by).map { r -> [String: Any] in
            // So does the deactivation of a privileged account (C17).
            ["id": r.id, "account": names[r.account] ?? "", "role": pages.text("deactivate", l),
             "requestedBy": names[r.requestedBy] ?? "", "mine": r.requestedBy == me, "action": "/web/admin/requests/\(r.id)/approve"]
        } + (s.principal?.kind == .admin ? try await store.activationsAwaitingApproval() : []).map { a -> [String: Any] in
            // A new activation code after a factor reset waits for a second administrator too,
            // approved here (a co-operative's audit: only the API approved it, and the staff
            // member stayed locked out).
            ["id": a.id, "account": names[a.account] ?? "", "role": pages.text("activationRequest", l),
             "requestedBy": a.issuedBy.flatMap { names[$0] } ?? "", "mine": a.issuedBy == me || a.account == me,
             "action": "/web/admin/activations/\(a.id)/approve"]
        }
        let typed = draft?.values ?? [:]
        // An account administrator asks only for the roles its role provisions, in its own
        // organisation; it adds no organisation (a pages audit: the R2 local administrator was
        // shown the administrator's whole page, every form of which answered 403).
        let provisions = scoped == nil ? nil : Set(s.principal.flatMap { profile.roles[$0.role]?.provisions } ?? [])
        // Privileged roles are made on the console only (Provisioning.consoleOnly): not offered.
        let roles = profile.roles.values.filter { $0.kind != .citizen && !$0.kind.usesAdminListener && (provisions?.contains($0.name) ?? true) }.map(\.name).sorted().map {
            ["value": $0, "label": pages.optionalText("role_" + $0, l) ?? $0, "selected": draft?.form == "account" && typed["role"] == $0] as [String: Any]
        }
        let orgs = try await store.organisations(kind: nil).filter { o in scoped.map { o.id == $0 } ?? true }.sorted { $0.name < $1.name }.map { o -> [String: Any] in
            ["value": o.id.rawValue, "label": o.name, "name": o.name, "kind": pages.label("orgkind_", o.kind, l), "territory": o.territory ?? "", "capacity": o.capacity.map(String.init) ?? "",
             "selected": draft?.form == "account" && typed["organisation"] == o.id.rawValue]
        }
        var values: [String: Any] = ["accounts": accounts, "requests": requests, "noRequest": requests.isEmpty, "roles": roles,
                                     "caseloads": profile.roles.keys.contains(where: profile.usesCaseloads),
                                     "organisations": orgs, "mayAddOrganisations": scoped == nil,
                                     // The account form's list, by kind (a social-security audit: 70 organisations
                                     // of three kinds in one list, the wrong kind easy to pick).
                                     "organisationGroups": Dictionary(grouping: orgs) { $0["kind"] as? String ?? "" }.sorted { $0.key < $1.key }
                                         .map { ["kind": $0.key, "members": $0.value] as [String: Any] },
                                     "kinds": profile.organisationKinds.map { ["value": $0, "label": pages.label("orgkind_", $0, l), "selected": draft?.form == "organisation" && typed["kind"] == $0] },
                                     // An organisation's territory must exist: chosen from the list (the territories' page adds one).
                                     "territories": try await store.territories().sorted { $0.code < $1.code }.map {
                                         ["code": $0.code, "name": $0.name, "selected": draft?.form == "organisation" && typed["territory"] == $0.code] as [String: Any]
                                     }]
        // A refused form comes back as typed (never its password), with why (a new-user test
        // retyped every field after each refusal).
        if let draft {
            values[draft.form == "account" ? "accountDraft" : "organisationDraft"] = typed
            values[draft.form == "account" ? "accountError" : "organisationError"] = draft.error
        }
        if let done, let text = pages.optionalText("doneAdmin_" + done, l) { values["doneNotice"] = text }
        if let made { values["made"] = made }
        if let reset { values["reset"] = reset }
        if let activation { values["activationApproved"] = activation }
        if let left { values["left"] = left }
        if found != nil { values["lookup"] = true }
        if let passwordReset { values["passwordReset"] = passwordReset }
        // Reset codes go by e-mail only: without a relay the page says so instead of offering forms.
        values["noRelay"] = auth.mailer == nil
        return try render("admin-accounts", values, s, status: status)
    }

    /// The caseload requests waiting for a second administrator, as rows of the requests table.
    /// A transfer names the caseload it empties; an assignment names the caseloads that hold its
    /// files now, which it empties of them (the store moves an assigned file silently).
    func caseloadRequestRows(_ requests: [CaseloadRequest], names: [AccountID: String], me: AccountID?,
                             _ pages: WebPages, _ l: String) async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        for r in requests {
            // A caseload change waits for a second administrator too (docs/OPERATIONS.md, step 6).
            var what = "\(pages.text(r.kind == .assign ? "caseloadAssign" : "transfer", l)) (\(r.dossiers.count))"
            // The files by number when they are few, so that the approver sees which (a new-user test approved blind).
            if r.dossiers.count <= 5 { what += (l == "fr" ? "\u{00A0}: " : ": ") + r.dossiers.map(\.rawValue).joined(separator: ", ") }
            if let from = r.from {
                what += " ← \(names[from] ?? "")"
            } else {
                let holders = Set(try await store.dossiers(Array(r.dossiers.prefix(500))).compactMap(\.assignedAgent)).subtracting([r.to])
                if !holders.isEmpty { what += " ← " + holders.map { names[$0] ?? "" }.sorted().joined(separator: ", ") }
            }
            rows.append(["id": r.id, "account": names[r.to] ?? "", "role": what, "requestedBy": names[r.requestedBy] ?? "",
                         "mine": r.requestedBy == me, "action": "/web/admin/requests/\(r.id)/approve"])
        }
        return rows
    }

    /// A suspension's reason in the page's language, the watch's detectors by their labels (an
    /// incident audit read "suspendu par la surveillance : honeytoken, denial-burst").
    func suspensionReason(_ reason: String, _ pages: WebPages, _ l: String) -> String {
        let prefix = "suspended by the watch: "
        guard reason.hasPrefix(prefix) else { return pages.generated(reason, l) }
        let detectors = reason.dropFirst(prefix.count).split(separator: ", ").map { pages.label("detector_", String($0), l) }
        return pages.generated(prefix + "{}", l).replacingOccurrences(of: "{}", with: detectors.joined(separator: ", "))
    }

    /// - Parameter draft: the "watch this person" or "suspend an account" form refused, as
    ///   typed, with why.
    func securityHome(_ s: PageScope, _ ctx: GuichetContext, done: String? = nil, draft: PageDraft? = nil) async throws -> Response {
        _ = try pageOfficer(s, ctx, fresh: false)
        let pages = try Self.webPages()
        var names = try await staffNames()
        let me = s.principal?.account
        // An alert about the officer's own account is another officer's to acknowledge.
        var ownAlertsElsewhere = false
        if let me { ownAlertsElsewhere = try await !gate.mayAcknowledgeOwnAlerts(me) }
        let open = try await store.alerts(openOnly: true, limit: 100)
        // Citizens' accounts too (an identity clash names the citizen who signed up: a new
        // user's audit found the cell empty, while the officer is asked to check that account).
        for account in Set(open.compactMap(\.account)) where names[account] == nil {
            if let record = try await store.account(id: account) { names[account] = record.username }
        }
        let alerts = open.map { a -> [String: Any] in
            ["id": a.id, "own": ownAlertsElsewhere && a.account != nil && a.account == me, "at": PageFormat.when(a.at, s.language), "account": a.account.flatMap { names[$0] } ?? "", "detector": pages.label("detector_", a.detector, s.language),
             "severity": pages.label("severity_", a.severity, s.language), "response": pages.label("response_", a.response, s.language), "detail": self.alertDetail(a.detail, pages, s.language), "justification": gate.justification(of: a) ?? "",
             "action": "/web/security/alerts/\(a.id)/acknowledge"]
        }
        let suspensions = try await store.suspensions(openOnly: true).map { x -> [String: Any] in
            ["account": names[x.account] ?? "", "at": PageFormat.when(x.at, s.language), "reason": suspensionReason(x.reason, pages, s.language),
             "action": "/web/security/accounts/\(x.account.rawValue)/reinstate"]
        }
        guard let officer = s.principal else { throw GuichetError.unauthenticated }
        // Watched persons: an access to them outside a caseload asks for a justification.
        let watched = try await store.watchedPersons().map { w -> [String: Any] in
            ["person": w.person.rawValue, "reason": gate.watchReason(of: w) ?? "", "by": names[w.flaggedBy] ?? "",
             "at": PageFormat.when(w.flaggedAt, s.language), "action": "/web/security/watched/\(w.person.rawValue)/remove"]
        }
        // Break-glass openings waiting for review, with the justification written.
        let openings = try await gate.pendingBreakGlass(officer).map { o -> [String: Any] in
            ["id": o.id, "account": names[o.account] ?? "", "dossier": o.dossier.rawValue, "justification": o.justification,
             "at": PageFormat.when(o.openedAt, s.language), "action": "/web/security/break-glass/\(o.id)/review"]
        }
        var values: [String: Any] = ["alerts": alerts, "noAlert": alerts.isEmpty, "suspensions": suspensions, "noSuspension": suspensions.isEmpty,
                                     "openings": openings, "noOpening": openings.isEmpty, "watched": watched, "noWatched": watched.isEmpty]
        // Erasure requests (GDPR art. 17): a link for the roles that may record one.
        values["mayErase"] = profile.retention.erasureOfficers.contains(officer.role)
        // Partner exports: a leaked file traced by its rows, where the profile lets partners export.
        values["mayTraceLeaks"] = !profile.exports.isEmpty
        // Archive reads that staff asked for, for the roles that approve them.
        if profile.retention.archive?.approvers.contains(officer.role) == true {
            let rows = try await pendingArchiveRows(officer, names: names, pages, s.language)
            values["mayApproveArchive"] = true
            values["archiveReads"] = rows
            values["noArchiveRead"] = rows.isEmpty
        }
        if let done, let text = pages.optionalText("doneAdmin_" + done, s.language) ?? pages.optionalText("done_" + done, s.language) { values["done"] = text }
        if let draft {
            values[draft.form == "suspend" ? "suspendDraft" : "watchDraft"] = draft.values
            values[draft.form == "suspend" ? "suspendError" : "watchError"] = draft.error
        }
        return try render("security-home", values, s, status: draft?.status ?? .ok)
    }

    /// The registry's page for administrators: a file's kept versions (public fields only, as
    /// the policy allows) with their restore, and the ledger's signed checkpoints.
    func registryPage(_ req: Request, _ ctx: GuichetContext, _ s: PageScope) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        guard let p = s.principal, p.kind == .admin else { throw GuichetError.forbidden("this needs an administrator account") }
        // No administrator's page before the second factor, this one included (an attacker
        // test: the password alone showed the checkpoints and the request figures).
        guard p.mayReachPersonalData else { throw GuichetError.forbidden("a second factor is required before any personal data") }
        var values: [String: Any] = [:]
        if let raw = req.uri.queryParameters.get("id"), !raw.isEmpty {
            guard let id = DossierID(validating: raw) else { throw GuichetError.invalid("'id' is not a valid file number") }
            let g = try gateRequest(s, ctx, purpose: nil)
            let names = try await staffNames()
            let versions = try await gate.versions(id, g)
            let latest = versions.map(\.version).max() ?? 0
            values["id"] = id.rawValue
            values["versions"] = versions.sorted { $0.version > $1.version }.map { v -> [String: Any] in
                var row: [String: Any] = ["version": v.version, "at": PageFormat.when(v.changedAt, l), "by": v.changedBy.map { names[$0] ?? pages.text("citizenAccount", l) } ?? "",
                                          "change": pages.versionChange(v.change, l), "status": stateLabel(v.status, pages, l)]
                if v.version != latest { row["restore"] = "/web/admin/dossiers/\(id.rawValue)/versions/\(v.version)/restore" }
                return row
            }
        }
        values["checkpoints"] = try await store.checkpoints().suffix(10).reversed().map { c -> [String: Any] in
            ["size": c.size, "at": PageFormat.when(c.at, l), "root": c.root.prefix(8).map { String(format: "%02x", $0) }.joined()]
        }
        // The metrics summary: requests by listener and status class (no path, no person), and the ledger's size.
        var totals: [String: (count: Int, seconds: Double)] = [:]
        for (key, series) in metrics.snapshot {
            let name = "\(key.listener) \(key.status)"
            totals[name] = ((totals[name]?.count ?? 0) + series.count, (totals[name]?.seconds ?? 0) + series.seconds)
        }
        values["metrics"] = totals.keys.sorted().map { name -> [String: Any] in
            let t = totals[name] ?? (0, 0)
            return ["series": name, "count": t.count, "mean": t.count == 0 ? "0" : PageFormat.decimal(t.seconds * 1000 / Double(t.count), l)]
        }
        values["ledgerSize"] = try await gate.ledgerSize()
        return try render("admin-registry", values, s)
    }

    /// The claim codes a scope's accesses issued, for the scope and incident pages: the person,
    /// the files the code opens, and the account that claimed it (a link to its own scope).
    func claimCodeRows(_ scope: BreachScope, _ l: String) async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        for c in scope.claimCodes.prefix(200) {
            var row: [String: Any] = ["person": c.person.rawValue, "files": c.dossiers.count, "at": PageFormat.when(c.at, l)]
            if let by = c.claimedBy, let account = try await store.account(id: by) {
                row["claimedBy"] = account.username
                row["claimedHref"] = "/web/security/scope?account=" + (account.username.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            } else if let by = c.claimedBy {
                row["claimedBy"] = by.rawValue
            }
            rows.append(row)
        }
        return rows
    }

    /// The accounts a scope's accesses made able to read (created, approved, reinstated...),
    /// each with a link to its own scope.
    func enabledRows(_ scope: BreachScope, _ l: String) async throws -> [[String: Any]] {
        var rows: [[String: Any]] = []
        for e in scope.accountsEnabled.prefix(200) {
            var row: [String: Any] = ["account": e.account.rawValue, "action": try Self.webPages().actionLabel(e.action, l), "at": PageFormat.when(e.at, l)]
            if let account = try await store.account(id: e.account) {
                row["account"] = account.username
                row["href"] = "/web/security/scope?account=" + (account.username.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            }
            rows.append(row)
        }
        return rows
    }

    /// The first step of an incident: the exact scope of an account's accesses over a window,
    /// from the ledger, signed checkpoint first (persons by number and fields by label: no value).
    /// - Parameters:
    ///   - draft: an incident form refused, shown again as it was typed, with why (`error`).
    ///   - account: the account searched, when not in the query (the form's).
    func scopePage(_ req: Request, _ s: PageScope, account named: String? = nil, draft: [String: Any]? = nil, error: String? = nil) async throws -> Response {
        guard let p = s.principal, p.kind == .security else { throw GuichetError.forbidden("breach response is for security officers") }
        try auth.requireStepUp(p)
        let wanted = named ?? req.uri.queryParameters.get("account")
        var values: [String: Any] = ["username": wanted ?? ""]
        if let draft { values["draft"] = draft }
        if let error { values["draftError"] = error }
        if let username = wanted, !username.isEmpty {
            let query = ScopeQuery(accounts: try await scopeAccounts(username))
            let scope = try await BreachResponse.scopeNow(gate, query)
            values["searched"] = true
            // The next step: the incident already opened for this account, or a form to open one.
            let pages = try Self.webPages()
            values["incidents"] = try await incidents(ofAccounts: query.accounts).map { incidentRow($0, pages, s.language) }
            values["accountID"] = query.accounts.map(\.rawValue).joined(separator: ",")
            values["now"] = (draft?["detectedAt"] as? String) ?? ScopeFormat.time(Date())
            values["count"] = scope.persons.count
            values["entries"] = scope.entriesMatched
            // What else the incident page and the report say, here at the first step (an
            // incident audit: the decoys reached, the refused attempts and the export were missing).
            values["attempts"] = scope.attempts.count
            values["exports"] = scope.events.filter { $0.allowed && $0.action == "partner-export" }.count
            values["decoyPersons"] = scope.decoyPersons.count
            values["decoyDossiers"] = scope.decoyDossiers.count
            values["checkpoint"] = scope.checkpoint.size
            values["persons"] = scope.persons.prefix(200).map { x -> [String: Any] in
                ["person": x.person.rawValue,
                 "fields": (x.fields + x.dossierFields).map { Labels.field($0, language: s.language, profile: profile) }.joined(separator: ", "),
                 "first": PageFormat.when(x.firstAt, s.language), "last": PageFormat.when(x.lastAt, s.language)]
            }
            values["claimCodes"] = try await claimCodeRows(scope, s.language)
            values["hasClaimCodes"] = !scope.claimCodes.isEmpty
            values["enabled"] = try await enabledRows(scope, s.language)
            values["hasEnabled"] = !scope.accountsEnabled.isEmpty
        }
        return try render("security-scope", values, s)
    }

    func addAdminPages(_ r: RouteRecorder) {
        page(r, .get, "/web/security/scope", admin: true) { req, _, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.scopePage(req, s)
        }
        page(r, .get, "/web/admin/registry", admin: true) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.registryPage(req, ctx, s)
        }
        page(r, .post, "/web/admin/dossiers/:id/versions/:version/restore", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal, p.kind == .admin else { throw GuichetError.forbidden("this needs an administrator account") }
            let id: DossierID = try ctx.parameters.identifier("id")
            guard let v = ctx.parameters.get("version").flatMap(Int.init) else { throw GuichetError.invalid("'version' must be a whole number") }
            // A restore undoes every change made since (a new-user test: one click undid a
            // parent's accepted place): the box must be ticked.
            guard form["confirm"] == "yes" else { throw GuichetError.invalid("a restore undoes the changes made since: tick the box that confirms it, then click again") }
            _ = try await self.gate.restore(id, version: v, try self.gateRequest(s, ctx, purpose: nil))
            return WebPages.redirect("/web/admin/registry?id=\(id.rawValue)&done=restore")
        }
        // A citizen's account is found by its user name, posted (never in an address): the list
        // holds only the accounts that work in Guichet.
        page(r, .post, "/web/admin/accounts/find", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            return try await self.accountsPage(s, ctx, made: nil, lookup: try form.required("username"))
        }
        page(r, .post, "/web/admin/accounts", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let by = try self.pageProvisioner(s, ctx)
            let organisation = try form["organisation"].map { raw -> OrganisationID in
                guard let id = OrganisationID(validating: raw) else { throw GuichetError.invalid("'organisation' is not a valid organisation") }
                return id
            }
            let username = try form.required("username")
            let made: CreatedAccount
            do {
                made = try await self.provisioning.createAccount(NewAccount(username: username, password: try form.required("password"),
                                                                            role: try form.required("role"), organisation: organisation,
                                                                            territory: form["territory"], email: form["email"].flatMap { $0.isEmpty ? nil : $0 }), by: by)
            } catch let e as GuichetError {
                guard let draft = PageDraft(form: "account", e, ["username", "role", "organisation", "email"], form, { self.refusal($0, s.language) }) else { throw e }
                return try await self.accountsPage(s, ctx, made: nil, status: draft.status, draft: draft)
            }
            var shown: [String: Any] = ["username": username, "status": try Self.webPages().label("account_", made.status, s.language)]
            if let code = made.activation?.code { shown["code"] = code }
            return try await self.accountsPage(s, ctx, made: shown)
        }
        page(r, .post, "/web/admin/accounts/:id/factors/reset", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let id: AccountID = try ctx.parameters.identifier("id")
            let delivery: FactorResetDelivery
            switch form["delivery"] {
            case nil: delivery = .usual
            case "hand"?: delivery = .hand
            default: throw GuichetError.invalid("'delivery' is \"hand\" or absent")
            }
            // Past the ceiling of changes (or with a stale factor): the step-up form, carrying
            // the reason and the delivery, asks why; the reset is made after the code.
            let carried = form.pairs.filter { ["reason", "delivery", "justification"].contains($0.name) }
            return try await self.answeringStepUp(form, s, action: "/web/admin/accounts/\(id.rawValue)/factors/reset", carried: carried) { fresh in
                let by = try self.pageProvisioner(fresh, ctx)
                let done = try await self.provisioning.resetFactors(of: id, reason: try form.required("reason"), delivery: delivery, by: by,
                                                                    justification: form["justification"])
                var shown: [String: Any] = ["username": try await self.store.account(id: id)?.username ?? ""]
                switch done.activation {
                case .awaitingApproval: shown["awaiting"] = true
                case .emailed(_, let sentTo, _): shown["sentTo"] = sentTo
                case .handed: preconditionFailure("an administrator's reset never hands the code to the administrator who asked")
                }
                return try await self.accountsPage(fresh, ctx, made: nil, reset: shown)
            }
        }
        page(r, .post, "/web/admin/activations/:id/approve", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let id = ctx.parameters.get("id"), id.count <= 64 else { throw GuichetError.invalid("'id' is not a valid activation id") }
            let waiting = try await self.store.activationsAwaitingApproval().first { $0.id == id }
            return try await self.answeringStepUp(form, s, action: "/web/admin/activations/\(id)/approve", carried: []) { fresh in
                guard let admin = fresh.principal else { throw GuichetError.unauthenticated }
                let issued = try await self.auth.approveActivation(id, by: admin)
                var username = ""
                if let waiting { username = try await self.store.account(id: waiting.account)?.username ?? "" }
                var shown: [String: Any] = ["username": username]
                switch issued {
                case .handed(_, let code, let expires): shown["code"] = code; shown["expires"] = PageFormat.when(expires, fresh.language)
                case .emailed(_, let sentTo, _): shown["sentTo"] = sentTo
                case .awaitingApproval: shown["awaiting"] = true
                }
                return try await self.accountsPage(fresh, ctx, made: nil, activation: shown)
            }
        }
        page(r, .post, "/web/admin/accounts/:id/password-reset", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let id: AccountID = try ctx.parameters.identifier("id")
            let carried = form.pairs.filter { $0.name == "justification" }
            return try await self.answeringStepUp(form, s, action: "/web/admin/accounts/\(id.rawValue)/password-reset", carried: carried) { fresh in
                try await self.startResetFromPage(fresh, ctx, account: id, justification: form["justification"])
            }
        }
        page(r, .post, "/web/admin/accounts/:id/deactivate", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let id: AccountID = try ctx.parameters.identifier("id")
            // Past the ceiling of changes (or with a stale factor) the step-up form carries the
            // reason and the ticked box, asks why, and deactivates after the code.
            let carried = form.pairs.filter { ["reason", "confirm", "justification"].contains($0.name) }
            return try await self.answeringStepUp(form, s, action: "/web/admin/accounts/\(id.rawValue)/deactivate", carried: carried) { fresh in
                let by = try self.pageProvisioner(fresh, ctx)
                guard form["confirm"] == "yes" else { throw GuichetError.invalid("a deactivation is for good: tick the box that confirms it, then click again") }
                let outcome = try await self.provisioning.deactivate(id, reason: try form.required("reason"), by: by, justification: form["justification"])
                var shown: [String: Any] = ["username": try await self.store.account(id: id)?.username ?? ""]
                if case .pending = outcome { shown["pending"] = true } else { shown["done"] = true }
                return try await self.accountsPage(fresh, ctx, made: nil, left: shown)
            }
        }
        page(r, .post, "/web/admin/accounts/:id/caseload/transfer", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let by = try self.pageProvisioner(s, ctx)
            let from: AccountID = try ctx.parameters.identifier("id")
            guard let to = AccountID(validating: try form.required("to")) else { throw GuichetError.invalid("'to' is not a valid account") }
            // From an administrator this is a request: the move waits for a second administrator.
            _ = try await self.provisioning.transferCaseload(from: from, to: to, only: nil, by: by)
            return WebPages.redirect("/web/home?done=transfer")
        }
        page(r, .post, "/web/admin/requests/:id/approve", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let id = ctx.parameters.get("id"), id.count <= 64 else { throw GuichetError.invalid("'id' is not a valid request id") }
            // Past the ceiling of approvals (or with a stale factor): the step-up form asks why,
            // and approves after the code.
            let carried = form.pairs.filter { $0.name == "justification" }
            return try await self.answeringStepUp(form, s, action: "/web/admin/requests/\(id)/approve", carried: carried) { fresh in
                let by = try self.pageProvisioner(fresh, ctx)
                let why = form["justification"]
                if try await self.provisioning.pendingCaseloadRequests(by: by).contains(where: { $0.id == id }) {
                    _ = try await self.provisioning.approveCaseload(request: id, by: by, justification: why)
                } else if try await self.provisioning.pendingDepartureRequests(by: by).contains(where: { $0.id == id }) {
                    _ = try await self.provisioning.approveDeparture(request: id, by: by)
                } else {
                    _ = try await self.provisioning.approve(request: id, by: by, justification: why)
                }
                return WebPages.redirect("/web/home?done=approve")
            }
        }
        page(r, .post, "/web/admin/organisations", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let by = try self.pageProvisioner(s, ctx)
            do {
                // Inside the draft's reach: a capacity typed wrong is said beside the form, what
                // was typed kept (a new user's audit got a generic error page, the name lost).
                let capacity = try form["capacity"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }.map { raw -> Int in
                    guard let n = Int(raw.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                        throw GuichetError.invalid("'capacity' must be a whole number of places, 0 or more")
                    }
                    return n
                }
                _ = try await self.provisioning.addOrganisation(kind: try form.required("kind"), name: try form.required("name"),
                                                                territory: form["territory"].flatMap { $0.isEmpty ? nil : $0 }, capacity: capacity, by: by)
            } catch let e as GuichetError {
                guard let draft = PageDraft(form: "organisation", e, ["kind", "name", "territory", "capacity"], form, { self.refusal($0, s.language) }) else { throw e }
                return try await self.accountsPage(s, ctx, made: nil, status: draft.status, draft: draft)
            }
            return WebPages.redirect("/web/home?done=organisation")
        }
        page(r, .post, "/web/admin/organisations/:id/capacity", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let by = try self.pageProvisioner(s, ctx)
            guard let raw = ctx.parameters.get("id"), let id = OrganisationID(validating: raw) else { throw GuichetError.notFound }
            // Empty: no capacity (offers unbounded), as on the form that adds one.
            let capacity = try form["capacity"].flatMap { $0.isEmpty ? nil : $0 }.map { raw -> Int in
                guard let n = Int(raw) else { throw GuichetError.invalid("'capacity' must be a whole number") }
                return n
            }
            _ = try await self.provisioning.setCapacity(of: id, to: capacity, by: by)
            return WebPages.redirect("/web/home?done=capacity")
        }
        page(r, .post, "/web/security/alerts/:id/acknowledge", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let g = try self.pageOfficer(s, ctx, fresh: true)
            guard let id = ctx.parameters.get("id"), id.count <= 64 else { throw GuichetError.invalid("'id' is not a valid alert id") }
            _ = try await self.gate.acknowledge(alert: id, note: form["note"], by: g)
            return WebPages.redirect("/web/home?done=acknowledge")
        }
        page(r, .post, "/web/security/break-glass/:id/review", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let g = try self.pageOfficer(s, ctx, fresh: false)
            guard let id = ctx.parameters.get("id"), id.count <= 64 else { throw GuichetError.invalid("'id' is not a valid break-glass id") }
            _ = try await self.gate.reviewBreakGlass(id, verdict: try form.required("verdict"), note: form["note"] ?? "", g.principal,
                                                     requestID: g.requestID, source: ctx.source)
            return WebPages.redirect("/web/home?done=review")
        }
        page(r, .post, "/web/security/watched", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let g = try self.pageOfficer(s, ctx, fresh: true)
            do {
                guard let person = PersonID(validating: try form.required("person")) else { throw GuichetError.invalid("'person' is not a valid person number") }
                try await self.gate.setWatched(person, reason: try form.required("reason"), by: g)
            } catch let e as GuichetError {
                // A bad number or reason: the officer's page again, the form as typed, with why
                // (a pages audit: a bare error page, the reason typed lost).
                guard let draft = PageDraft(form: "watch", e, ["person", "reason"], form, { self.refusal($0, s.language) }) else { throw e }
                return try await self.securityHome(s, ctx, draft: draft)
            }
            return WebPages.redirect("/web/home?done=watch")
        }
        page(r, .post, "/web/security/watched/:id/remove", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let g = try self.pageOfficer(s, ctx, fresh: true)
            try await self.gate.setWatched(try ctx.parameters.identifier("id"), reason: nil, by: g)
            return WebPages.redirect("/web/home?done=unwatch")
        }
        page(r, .post, "/web/security/suspend", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let g = try self.pageOfficer(s, ctx, fresh: true)
            do {
                let account = try await BreachResponse.account(named: try form.required("username"), store: self.store)
                try await self.gate.suspendAccount(account, sealing: try form.required("reason"), by: g)
            } catch let e as GuichetError {
                // Said beside the form, what was typed kept (a new user's audit: an unknown user
                // name got a generic error page, the reason typed lost).
                guard let draft = PageDraft(form: "suspend", e, ["username", "reason"], form, { self.refusal($0, s.language) }) else { throw e }
                return try await self.securityHome(s, ctx, draft: draft)
            }
            return WebPages.redirect("/web/home?done=suspend")
        }
        page(r, .post, "/web/security/accounts/:id/reinstate", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let g = try self.pageOfficer(s, ctx, fresh: true)
            let id: AccountID = try ctx.parameters.identifier("id")
            _ = try await self.gate.reinstate(id, reason: try form.required("reason"), by: g)
            return WebPages.redirect("/web/home?done=reinstate")
        }
    }
}

/// A form the page refused, to show again as typed with why (never a password): for a refusal
/// of what was typed (400, 409); a refusal of the session or the factor keeps its own page.
struct PageDraft {
    let form: String
    let values: [String: String]
    let error: String
    let status: HTTPResponse.Status

    /// - Parameter describe: the refusal in the page's words (``GuichetServer/refusal(_:_:)``:
    ///   its language, fields and roles by their labels).
    init?(form: String, _ error: GuichetError, _ fields: [String], _ typed: FormBody, _ describe: (String) -> String) {
        switch error {
        case .invalid(let m): self.error = describe(m); status = .badRequest
        case .conflict(let m): self.error = describe(m); status = .conflict
        default: return nil
        }
        self.form = form
        var values: [String: String] = [:]
        for f in fields { if let v = typed[f] { values[f] = v } }
        self.values = values
    }
}
