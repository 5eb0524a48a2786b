public import Foundation
public import GuichetCore

/// What a simulation is asked to do.
public struct SimulationOptions: Sendable {
    /// Staff accounts of normal work (agents, agency advisers); the attacked accounts come on top.
    public var agents = 25
    public var days = 40
    public var seed: UInt64 = 1
    /// Dossiers in the synthetic registry.
    public var size = 6_000
    /// The days the attackers start (each on the first weekday on or after): a fresh
    /// deployment, and after the learning days.
    public var attackDays = [0, 10]
    /// Where the registry is built; a temporary folder (on /dev/shm where there is one) if nil.
    public var folder: URL?

    public init() {}
}

/// One attacker's figures.
public struct AttackFigures: Sendable {
    public let name: String
    public let strategy: String
    public let day: Int
    public let role: String
    public let description: String
    /// Distinct persons whose non-public fields it received before it was contained.
    public let personsExposed: Int
    /// Of them, persons the account's owner did not also see (the account's ceiling counts
    /// each person once, whoever of the owner and the attacker received it).
    public let personsBeyondNormalWork: Int
    /// When the account was first throttled, the persons it had received that the account
    /// had not received earlier that day (what the ceiling counts); nil: never throttled.
    public let personsAtFirstThrottle: Int?
    public let requests: Int
    public let dossiersOpened: Int
    /// The search shapes the gate refused (a name alone where a birth date is required).
    public let refusedSearches: [String]
    public let contained: Bool
    /// From its first request to the suspension.
    public let timeToContainment: Double?
    /// Why it stopped: suspended, reach exhausted, plan done, request cap.
    public let ended: String
    public let detectors: [String]
}

/// Normal work of one role.
public struct RoleFigures: Sendable {
    public let role: String
    public var accounts = 0
    public var workDays = 0
    public var falseSuspensions = 0
    public var stepUps = 0
    /// Refusals at the role's ceiling met by normal work (each answered with a justification).
    public var ceilings = 0
    public var throttles = 0

    init(role: String) { self.role = role }

    public var falseSuspensionsPer1000Days: Double { workDays == 0 ? 0 : Double(falseSuspensions) * 1000 / Double(workDays) }
    public var stepUpsPerDay: Double { workDays == 0 ? 0 : Double(stepUps) / Double(workDays) }
    public var ceilingsPerDay: Double { workDays == 0 ? 0 : Double(ceilings) / Double(workDays) }
    public var throttlesPerDay: Double { workDays == 0 ? 0 : Double(throttles) / Double(workDays) }
}

/// The figures of one profile's simulation.
public struct ProfileFigures: Sendable {
    public let profile: String
    public let dossierType: String
    public let staffRole: String
    public let partnerRole: String
    public let dossiers: Int
    public let honeytokens: Int
    public let requests: Int
    public let caseloadPersons: Int
    public let roles: [RoleFigures]
    public let attackers: [AttackFigures]
    public let seconds: Double
    /// Normal-work searches by a caller's name and birth date that found nothing or were refused.
    public var failedSearches = 0

    public var workDays: Int { roles.reduce(0) { $0 + $1.workDays } }
    public var falseSuspensions: Int { roles.reduce(0) { $0 + $1.falseSuspensions } }
    public var falseSuspensionsPer1000Days: Double { workDays == 0 ? 0 : Double(falseSuspensions) * 1000 / Double(workDays) }

    static func round(_ x: Double, _ places: Double = 100) -> JSON { .number((x * places).rounded() / places) }

    public var json: JSON {
        var attackers: [String: JSON] = [:]
        for a in self.attackers {
            var o: [String: JSON] = [
                "strategy": .string(a.strategy), "day": .number(Double(a.day)), "role": .string(a.role), "description": .string(a.description),
                "personsExposed": .number(Double(a.personsExposed)), "requests": .number(Double(a.requests)),
                "dossiersOpened": .number(Double(a.dossiersOpened)), "refusedSearches": .array(a.refusedSearches.map(JSON.string)),
                "contained": .bool(a.contained), "timeToContainmentSeconds": a.timeToContainment.map { .number($0.rounded()) } ?? .null,
                "ended": .string(a.ended), "detectors": .array(a.detectors.map(JSON.string)),
            ]
            o["personsBeyondNormalWork"] = .number(Double(a.personsBeyondNormalWork))
            o["personsAtFirstThrottle"] = a.personsAtFirstThrottle.map { .number(Double($0)) } ?? .null
            attackers[a.name] = .object(o)
        }
        var roles: [String: JSON] = [:]
        for r in self.roles {
            roles[r.role] = .object([
                "accounts": .number(Double(r.accounts)), "workDays": .number(Double(r.workDays)),
                "falseSuspensions": .number(Double(r.falseSuspensions)), "falseSuspensionsPer1000Days": Self.round(r.falseSuspensionsPer1000Days),
                "stepUpsPerDay": Self.round(r.stepUpsPerDay, 1000), "ceilingsPerDay": Self.round(r.ceilingsPerDay, 1000),
                "throttlesPerDay": Self.round(r.throttlesPerDay, 1000),
            ])
        }
        return .object([
            "dossiers": .number(Double(dossiers)), "honeytokens": .number(Double(honeytokens)), "requests": .number(Double(requests)),
            "agentDays": .number(Double(workDays)), "caseloadPersons": .number(Double(caseloadPersons)),
            "falseSuspensions": .number(Double(falseSuspensions)), "falseSuspensionsPer1000AgentDays": Self.round(falseSuspensionsPer1000Days),
            "failedNormalSearches": .number(Double(failedSearches)),
            "roles": .object(roles), "attackers": .object(attackers), "seconds": Self.round(seconds, 10),
        ])
    }

    static func duration(_ s: Double) -> String {
        s < 120 ? String(format: "%.0f s", s) : s < 7200 ? String(format: "%.0f min", s / 60)
            : s < 172_800 ? String(format: "%.1f h", s / 3600) : String(format: "%.1f days", s / 86_400)
    }

    static func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, n - s.count))
        return left ? fill + s : s + fill
    }

    public var text: String {
        var lines = [
            "\(profile): \(dossiers) files (\(dossierType)), \(honeytokens) honeytokens; \(requests) requests through the gate; "
                + "\(workDays) days of normal work",
            "  " + Self.pad("attacker", 22) + Self.pad("role", 16) + Self.pad("exposed", 14, left: true) + Self.pad("at 1st throttle", 16, left: true)
                + Self.pad("contained after", 17, left: true) + "   detectors",
        ]
        for a in attackers {
            let exposed = a.personsBeyondNormalWork == a.personsExposed ? "\(a.personsExposed)" : "\(a.personsExposed) (\(a.personsBeyondNormalWork) new)"
            let time = a.timeToContainment.map(Self.duration) ?? a.ended
            lines.append("  " + Self.pad(a.name, 22) + Self.pad(a.role, 16) + Self.pad(exposed, 14, left: true)
                         + Self.pad(a.personsAtFirstThrottle.map(String.init) ?? "-", 16, left: true) + Self.pad(time, 17, left: true)
                         + "   " + (a.detectors.isEmpty ? "-" : a.detectors.joined(separator: ", ")))
            for refused in a.refusedSearches { lines.append("      search by \(refused)") }
        }
        lines.append("  normal work, per role: days, false suspensions (per 1,000 days), step-ups, ceiling refusals and throttles per day")
        for r in roles where r.workDays > 0 {
            lines.append("  " + Self.pad(r.role, 18) + Self.pad("\(r.workDays) days", 11, left: true)
                         + Self.pad("\(r.falseSuspensions) (\(String(format: "%.2f", r.falseSuspensionsPer1000Days)))", 14, left: true)
                         + String(format: "   %.3f step-ups, %.3f ceilings, %.3f throttles", r.stepUpsPerDay, r.ceilingsPerDay, r.throttlesPerDay))
        }
        if failedSearches > 0 { lines.append("  normal searches by name and birth date that found nothing or were refused: \(failedSearches)") }
        lines.append(String(format: "  ran in %.1f s", seconds))
        return lines.joined(separator: "\n")
    }
}

/// The figures of a simulation over one or more profiles.
public struct SimulationReport: Sendable {
    public let options: SimulationOptions
    public let profiles: [ProfileFigures]
    public let seconds: Double

    public var json: String {
        let object: JSON = .object([
            "agents": .number(Double(options.agents)), "days": .number(Double(options.days)), "seed": .number(Double(options.seed)),
            "size": .number(Double(options.size)), "attackDays": .array(options.attackDays.map { .number(Double($0)) }),
            "profiles": .object(Dictionary(profiles.map { ($0.profile, $0.json) }, uniquingKeysWith: { a, _ in a })),
            "seconds": ProfileFigures.round(seconds, 10),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(object)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public var text: String {
        var lines = ["Simulation: \(options.agents) staff accounts of normal work per profile (plus the attacked ones), "
                     + "\(options.days) days, seed \(options.seed), \(options.size) files; "
                     + "attacks on days \(options.attackDays.map(String.init).joined(separator: " and "))", ""]
        for p in profiles { lines += [p.text, ""] }
        lines.append(String(format: "ran in %.1f s", seconds))
        return lines.joined(separator: "\n")
    }
}
