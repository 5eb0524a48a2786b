import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import GuichetCore
import GuichetWatch
@testable import GuichetServer

/// The texts the server generates in English (refusals, notices, alerts, suspension reasons)
/// shown in French on French pages, through `texts/generated-fr.json`; the stored texts and the
/// API's stay English.
@Suite struct GeneratedTextTests {
    static let catalogueFile = Repo.root.appendingPathComponent("Sources/GuichetServer/Pages/Web/texts/generated-fr.json")

    static func catalogue() throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(contentsOf: catalogueFile))
    }

    /// Arguments that hold no literal: a message made elsewhere (and scanned there), passed on.
    /// File and argument as written → why it needs no entry of its own. Few, and each checked:
    /// one that no longer occurs fails the test too.
    static let passedThrough: [String: String] = [
        "Sources/GuichetServer/Pages/WebRoutes+Breach.swift: m": "the incident's refusal thrown again when the form cannot be shown",
        "Sources/GuichetServer/OIDCRoutes.swift: m": "an OIDCError.refused message (the .refused( literals of GuichetOIDC)",
        "Sources/GuichetWatch/Watch.swift: f.detail": "a Finding's detail (the Finding( literals)",
        "Sources/GuichetWatch/Watch.swift: detail": "the detail given to Watch.suspend(detail:) and Watch.raise(detail:) (their callers' literals)",
        "Sources/GuichetWatch/WatchEngine.swift: detail": "the detail given to the engine's suspend(_:_:_:_:) (its callers' literals)",
        "Sources/GuichetAuth/Activation.swift: detail": "the detail given to hand(detail:) (its callers' literals)",
        "Sources/GuichetGate/Registry.swift: detail": "the detail of an attack on sign-in, given to Authenticator.alert(_:_:high:detail:) (its callers' literals)",
        "Sources/GuichetPostgres/PostgresStore+Provisioning.swift: r.6": "a stored alert's detail, read back",
        "Sources/GuichetBreach/Response+Letters.swift: noContact": "BreachResponse.noContact, a literal of the same file",
        "Sources/GuichetServer/Problem.swift: adapt(m)": "a refusal's own text, its API paths named as the admin listener serves them (GuichetError.namingAdminPaths; the API answers in English)",
    ]

    @Test("every text the sources generate has a French template, with as many values; no argument passes a text unscanned")
    func everyGeneratedTextHasFrench() throws {
        let (sites, failures) = GeneratedTextScan.scan()
        #expect(failures.isEmpty, "sources the scan could not read: \(failures)")
        #expect(sites.count > 400, "the scan found only \(sites.count) places: it no longer reads the sources")
        let catalogue = try Self.catalogue()
        var missing: [String: [String]] = [:]
        for site in sites {
            for t in site.templates where catalogue[t] == nil { missing[t, default: []].append(site.description) }
        }
        let list = missing.keys.sorted().map { "\($0.debugDescription) (\(missing[$0]!.joined(separator: ", ")))" }
        #expect(missing.isEmpty, "\(missing.count) generated texts have no entry in texts/generated-fr.json:\n\(list.joined(separator: "\n"))")

        let counts = catalogue.keys.sorted().filter { $0.components(separatedBy: "{}").count - 1 != GeneratedTexts.valueCount(catalogue[$0]!) }
        #expect(counts.isEmpty, "entries whose French takes another count of values than the English:\n\(counts.joined(separator: "\n"))")

        var seen: Set<String> = []
        var unexpected: [String] = []
        for site in sites {
            guard let p = site.passedThrough else { continue }
            let key = "\(site.file): \(p)"
            seen.insert(key)
            if Self.passedThrough[key] == nil { unexpected.append("\(site) passes '\(p)'") }
        }
        #expect(unexpected.isEmpty, "texts passed without a literal the scan can read (give the literal, or say here where it is scanned):\n\(unexpected.joined(separator: "\n"))")
        let stale = Set(Self.passedThrough.keys).subtracting(seen).sorted()
        #expect(stale.isEmpty, "exceptions that no longer occur: \(stale)")
    }

    @Test("the scan reads literals as the compiler does: values as {}, + chains, ternaries of literals expanded, nested quotes in values")
    func scanShapes() throws {
        let source = ##"""
        func f() throws {
            throw GuichetError.invalid("field '\(name)' is \(x ? "a" : "b") and \(f("q)", [1, 2]).count)")
            throw GuichetError.conflict(kind == "x" ? "one" : "two \(n)")
            // throw GuichetError.invalid("a comment")
            throw GuichetError.forbidden("first part, "
                                         + "second \(n)" + (again ? " again" : "") + ".")
            _ = Finding(detector: "d", severity: .low, detail: """
                several lines: \(n)
                  indented
                """, key: "k")
            try await store.addNotice(account: a, kind: "k", detail: #"raw "quoted" \#(v)"#, at: now)
            if case .invalid(let m) = e { print(m) }
        }
        """##
        var lexer = GeneratedTextScan.Lexer(s: Array(source.utf8), file: "Sources/X/Y.swift")
        let sites = try lexer.sites()
        #expect(sites.map(\.templates) == [
            ["field '{}' is {} and {}", "field '{}' is a and {}", "field '{}' is b and {}"],
            ["one", "two {}"],
            ["first part, second {} again.", "first part, second {}."],
            ["several lines: {}\n  indented"],
            ["raw \"quoted\" {}"],
        ])
        #expect(sites.map(\.line) == [2, 3, 5, 7, 11])
    }

    @Test("generated texts in French: values kept in place; English and unknown texts unchanged")
    func rendering() throws {
        let pages = try WebPages.bundled.get()
        let cases: [(String, String)] = [
            ("unknown field 'age' (dossier type 'application' has: desiredStart, schedule)",
             "champ 'age' inconnu (le type de dossier 'application' a : desiredStart, schedule)"),
            ("more than 3 break-glass openings within 24 hours: this account is suspended pending a security review",
             "plus de 3 accès d'urgence en 24 heures : ce compte est suspendu en attendant une vérification de sécurité"),
            ("the second factors of account abc123 were reset by admin1", "les deuxièmes facteurs du compte abc123 ont été réinitialisés par admin1"),
            // A ternary's expanded form before the generic template.
            ("a honeytoken record (no legitimate work touches it) was reached by 'read'",
             "un dossier leurre (aucun travail légitime n'y touche) a été atteint par 'read'"),
            ("3 watched person(s) accessed by 'search' with a justification", "3 personne(s) surveillée(s) consultée(s) par 'search' avec une justification"),
            ("3 watched person(s) accessed by 'search'", "3 personne(s) surveillée(s) consultée(s) par 'search'"),
            ("suspended by the watch: ceiling, volume-day", "suspendu par la surveillance : ceiling, volume-day"),
            ("the form is not correctly encoded", "le formulaire n'est pas correctement encodé"),
            // A field's rule inside the refusal of the field: the value is rendered too.
            ("field 'person.firstName': expected at most 500 characters", "champ 'person.firstName' : attendu au plus 500 caractères"),
            ("field 'person.phone': expected a phone number (10 digits, North American numbering)",
             "champ 'person.phone' : attendu un numéro de téléphone (10 chiffres, numérotation nord-américaine)"),
            // The watch's window, as the source words it, in French too.
            ("12 distinct persons in an hour (ceiling 10 for role 'agent'): step-up and justification asked",
             "12 personnes distinctes en une heure (plafond 10 pour le rôle 'agent') : nouvelle vérification et justification demandées"),
            ("31 distinct persons in 10 minutes (ceiling 30 for role 'agent'), the second time this week: step-up and justification asked",
             "31 personnes distinctes en 10 minutes (plafond 30 pour le rôle 'agent'), pour la deuxième fois cette semaine : nouvelle vérification et justification demandées"),
        ]
        // The windows as the watch words them (an audit read "in a 10 minutes" and "in this day").
        #expect(["10 minutes", "hour", "day", "session"].map(WatchWindow.within) == ["in 10 minutes", "in an hour", "in a day", "in one session"])
        #expect(["10 minutes", "hour", "day", "session"].map(WatchWindow.lately) == ["in the last 10 minutes", "in the last hour", "today", "in this session"])
        for (english, french) in cases {
            #expect(pages.generated(english, "fr") == french)
            #expect(pages.generated(english, "en") == english, "English stays as generated")
        }
        for unknown in ["a text nobody generates", "unknown field", "", "'x' is required, and more"] {
            #expect(pages.generated(unknown, "fr") == unknown, "no template matches: the English as it is")
        }
        // Values in another order, and a brace that is no placeholder.
        let t = GeneratedTexts(["from {} to {}": "vers {2} depuis {1}", "see /v1/{id}/x: {}": "voir /v1/{id}/x : {}"])
        #expect(t.french("from a to b") == "vers b depuis a")
        #expect(t.french("see /v1/{id}/x: y") == "voir /v1/{id}/x : y")
        #expect(GeneratedTexts.valueCount("vers {2} depuis {1}") == 2 && GeneratedTexts.valueCount("voir /v1/{id}/x : {}") == 1)
    }

    @Test("a catalogue entry whose French takes another count of values stops the loading, naming it")
    func countCheckedAtLoading() throws {
        do {
            _ = try WebPageTextTests.loadEdited { folder in
                try WebPageTextTests.edit(folder, "texts/generated-fr.json") {
                    $0.replacingOccurrences(of: #""champ '{}' inconnu""#, with: #""champ inconnu""#)
                }
            }
            Issue.record("a French template with a value missing loaded")
        } catch let e as PageError {
            #expect(e.description.contains("unknown field '{}'"), "\(e)")
        }
    }

    @Test("a value in a generated text is escaped on the page like any other")
    func valuesEscaped() throws {
        let pages = try WebPages.bundled.get()
        let detail = pages.generated("unknown field '<script>alert(1)</script>'", "fr")
        #expect(detail == "champ '<script>alert(1)</script>' inconnu")
        let html = pages.render("error", ["message": "x", "detail": detail], language: "fr")
        #expect(html.contains("champ &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39; inconnu") && !html.contains("<script>"), "\(html)")
    }

    @Test("the error page says the refusal's detail in French on a French page, in English on an English one; the API stays English")
    func errorPageInBothLanguages() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            func post(_ lang: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: "/web/claim?lang=\(lang)", method: .post,
                                         headers: [.contentType: "application/x-www-form-urlencoded", HTTPField.Name("Sec-Fetch-Site")!: "same-origin"],
                                         body: ByteBuffer(string: "code=%ZZ")) { ($0.status, String(buffer: $0.body)) }
            }
            let (frStatus, fr) = try await post("fr")
            #expect(frStatus == .badRequest && fr.contains(#"<html lang="fr">"#))
            #expect(fr.contains(#"<span id="detail">Le formulaire n&#39;est pas correctement encodé</span>"#), "\(fr)")
            let (enStatus, en) = try await post("en")
            #expect(enStatus == .badRequest && en.contains(#"<html lang="en">"#))
            #expect(en.contains(#"<span id="detail">The form is not correctly encoded</span>"#), "\(en)")
        }
    }
}
