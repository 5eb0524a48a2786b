import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetLedger
import Hummingbird

/// The keys' status for administrators (admin listener): version numbers, which is current,
/// how many data keys each wraps, the last rotation, and whether the keys read now. Never a
/// key, a fingerprint or the registry's key check. Rotation stays on the command line
/// (`guichet keys rotate`): the page says which command to run.
extension GuichetServer {
    func keysPage(_ s: PageScope) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        guard let p = s.principal, p.kind == .admin else { throw GuichetError.forbidden("this needs an administrator account") }
        guard p.mayReachPersonalData else { throw GuichetError.forbidden("a second factor is required before any personal data") }
        let k = try await gate.keysOverview()
        // Keys under the archive KEK are not an older version to re-wrap: shown apart.
        let archive = KeysOverview.archiveVersion
        let versions = Set(k.versions).union(k.dataKeys.keys).subtracting([archive]).sorted()
        var values: [String: Any] = [
            "versions": versions.map { v -> [String: Any] in
                ["version": v, "current": v == k.current, "dataKeys": k.dataKeys[v] ?? 0,
                 "held": k.versions.contains(v) || k.problem != nil, "missing": k.problem == nil && !k.versions.contains(v)]
            },
            "shredded": k.shredded, "source": k.source, "fromFile": !k.source.hasPrefix("$"),
            "fileChanged": k.fileChanged.map { PageFormat.when($0, l) } ?? [:],
            "old": k.current.map { c in k.dataKeys.filter { $0.key != c && $0.key != archive && $0.value > 0 }.values.reduce(0, +) } ?? 0,
            "archiveHeld": k.archiveHeld, "archiveKeys": k.dataKeys[archive] ?? 0,
        ]
        values["hasOld"] = (values["old"] as? Int ?? 0) > 0
        if let problem = k.problem { values["problem"] = problem } else { values["readable"] = true }
        if let c = k.current { values["current"] = c }
        if let r = k.lastRotation {
            values["rotation"] = pages.text("keysRotation", l).replacingOccurrences(of: "{version}", with: "\(r.version)")
                .replacingOccurrences(of: "{at}", with: PageFormat.time(r.at, l))
        }
        values["retirable"] = k.versions.filter { $0 != k.current && (k.dataKeys[$0] ?? 0) == 0 }.map { ["version": $0] }
        return try render("admin-keys", values, s)
    }

    func addKeysPage(_ r: RouteRecorder) {
        page(r, .get, "/web/admin/keys", admin: true) { req, _, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.keysPage(s)
        }
    }
}
