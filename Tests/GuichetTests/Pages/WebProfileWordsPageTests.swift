import Foundation
import HummingbirdTesting
import Testing
import GuichetBreach
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// The words and menus of the pages follow the profile (a pages audit of jeunes and secu, in
/// French and English): a citizen who may create no file is offered no "New application"; a
/// file is named by its type's label and, in secu, by the insured person; secu's employers are
/// "employeurs", in no order of preference; two dependants' forms have names of their own.
/// Synthetic data only.
@Suite(.serialized)
struct WebProfileWordsPageTests {
    /// The links of the signed-in account's menu, by address.
    static func menuLinks(_ html: String) -> [String] {
        guard let menu = html.range(of: #"<ul class="inline menu">"#), let end = html[menu.upperBound...].range(of: "</ul>") else { return [] }
        return html[menu.upperBound..<end.lowerBound].matches(of: #/href="([^"]+)"/#).map { String($0.1) }
    }

    @Test("a jeunes young person and a secu insured person are not offered 'New application' (their profile lets them create no file); a place05 parent is")
    func applyOnlyWhereAllowed() async throws {
        let jeunes = try await JeunesWorld.make()
        defer { jeunes.remove() }
        _ = try await jeunes.youngPerson("young1")
        try await jeunes.withPublic { client in
            for language in ["fr", "en"] {
                var browser = PageClient(client)
                _ = try await browser.signIn("young1", World.password)
                let home = try await browser.get("/web/home?lang=\(language)")
                #expect(home.status == .ok && Self.menuLinks(home.html).contains("/web/home"), "\(language): the menu is there")
                #expect(!Self.menuLinks(home.html).contains("/web/apply"), "\(language): jeunes: \(Self.menuLinks(home.html))")
                #expect(!home.html.contains("Nouvelle demande") && !home.html.contains("New application"))
            }
        }
        let secu = try await SecuWorld.make()
        defer { secu.remove() }
        try await secu.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("insured1", World.password)
            let home = try await browser.get("/web/home?lang=fr")
            #expect(home.status == .ok && !Self.menuLinks(home.html).contains("/web/apply"), "secu: \(Self.menuLinks(home.html))")
        }
        let place05 = try await World.make()
        defer { place05.remove() }
        _ = try await place05.registerParent("parent1")
        try await place05.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let home = try await browser.get("/web/home?lang=fr")
            #expect(Self.menuLinks(home.html).contains("/web/apply"), "a place05 parent applies: \(Self.menuLinks(home.html))")
        }
    }

    @Test("'My files' and 'My data' name a file by its type's label: the young person's own name in jeunes, the insured person's (not the dependants') in secu")
    func filesNamedByLabel() async throws {
        let jeunes = try await JeunesWorld.make()
        defer { jeunes.remove() }
        _ = try await jeunes.youngPerson("young1", firstName: "Lina")
        try await jeunes.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("young1", World.password)
            let fr = try await browser.get("/web/home?lang=fr")
            #expect(fr.html.contains(#"Dossier d&#39;accompagnement · <span class="who">Lina</span>"#), "\(fr.html)")
            #expect(!fr.html.contains("youth-file"))
            let en = try await browser.get("/web/home?lang=en")
            #expect(en.html.contains(#"Support file · <span class="who">Lina</span>"#))
            let export = try await browser.get("/web/export?lang=en")
            #expect(export.html.contains("<h3>Support file · ") && !export.html.contains("youth-file"))
        }
        let secu = try await SecuWorld.make()
        defer { secu.remove() }
        let names = try await secu.firstNames()
        let insured = try #require(names[secu.insured])
        let dependants = secu.dependants.compactMap { names[$0] }
        try await secu.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("insured1", World.password)
            let home = try await browser.get("/web/home?lang=fr")
            let who = try #require(home.html.firstMatch(of: #/Compte d&#39;assuré · <span class="who">([^<]*)</span>/#).map { String($0.1) },
                                   "the file is named by its label: \(home.html)")
            #expect(who == insured, "the insured person's own name (\(insured)), not the dependants' (\(dependants)): \(who)")
            #expect(!home.html.contains("insured-account"))
            let en = try await browser.get("/web/home?lang=en")
            #expect(en.html.contains("Insured person&#39;s account · <span class=\"who\">\(insured)</span>"), "\(en.html)")
        }
    }

    @Test("an employer's search form offers only what its rule lets it read and its role search by (the insured person's CNSS number, not a surname alone), and its hint names only those; an agent's offers more")
    func searchFormOffersOnlyWhatTheRoleMaySearch() async throws {
        let secu = try await SecuWorld.make()
        defer { secu.remove() }
        let employer = try await secu.enrol("employer"), agent = try await secu.enrol("agent")
        try await secu.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("employer", World.password, totp: employer)
            for language in ["fr", "en"] {
                let home = try await browser.get("/web/home?lang=\(language)")
                #expect(home.html.contains(#"name="q.cnss""#) && !home.html.contains(#"name="q.lastName""#), "\(language)")
                // French elides before a vowel (the same audit read "en tant que agent.demo").
                #expect(home.html.contains(language == "fr" ? #"Connecté en tant qu&#39;<strong id="account-name">employer</strong>"#
                                                            : #"Signed in as <strong id="account-name">employer</strong>"#), "\(language)")
                for hidden in ["q.cin", "q.email", "q.phone"] { #expect(!home.html.contains(#"name="\#(hidden)""#), "\(language): \(hidden) not offered") }
                #expect(!home.html.contains(#"<option value="dependant""#), "\(language): dependants are not searchable by an employer")
                let hint = try #require(home.html.firstMatch(of: language == "fr" ? #/Recherche possible par[^<]*/# : #/You may search by[^<]*/#).map { String($0.0) }, "\(language)")
                #expect(!hint.contains("CIN") && !hint.contains(language == "fr" ? "adresse électronique" : "e-mail"), "\(language): \(hint)")
            }
            // A search by what the form offers is made.
            let home = try await browser.get("/web/home?lang=en")
            let searched = try await browser.post("/web/home", [("csrf", try #require(home.csrf)), ("type", "insured-account"), ("search", "1"),
                                                                 ("purpose", "salary-declaration"), ("who", "insured"), ("q.cnss", "123456789")])
            #expect(searched.status == .ok && searched.html.contains(#"id="results-title""#), "\(searched.status)")
        }
        try await secu.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password, totp: agent)
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.html.contains(#"name="q.cin""#) && home.html.contains(#"name="q.cnss""#) && !home.html.contains(#"name="q.lastName""#),
                    "an agent searches by CIN too, by no surname alone")
        }
    }

    @Test("on a secu file with two dependants, each dependant's change form has a name of its own (axe-core landmark-unique)")
    func dependantsFormsNamedApart() async throws {
        let secu = try await SecuWorld.make()
        defer { secu.remove() }
        let firstNames = try await secu.firstNames()
        let secret = try await secu.enrol("agent")
        try await secu.withPublic { client in
            var agent = PageClient(client)
            _ = try await agent.signIn("agent", World.password, totp: secret)
            for language in ["fr", "en"] {
                let page = try await agent.get("/web/dossiers/\(secu.account.rawValue)?purpose=affiliation&lang=\(language)")
                #expect(page.status == .ok, "\(page.status)")
                let forms = page.html.matches(of: #/<form [^>]*class="stack person-change" id="([^"]+)" aria-labelledby="([^"]+)">\s*<h4 id="[^"]+">([^<]+)</h4>/#)
                let names = forms.map { String($0.3) }
                #expect(forms.count >= secu.dependants.count + 1, "\(language): the insured person's form and each dependant's: \(names)")
                #expect(Set(names).count == names.count, "\(language): every form's name is unique: \(names)")
                for d in secu.dependants {
                    let first = try #require(firstNames[d])
                    #expect(names.contains { $0.contains(first) }, "\(language): a dependant's form names them: \(names)")
                }
            }
        }
    }

    @Test("secu's employers are 'employeurs' / 'employers' on a file's page, in no order of preference; emploi's agency is 'agence'; place05 keeps its services in order")
    func partnersNamedByProfile() async throws {
        let secu = try await SecuWorld.make()
        defer { secu.remove() }
        let secret = try await secu.enrol("agent")
        try await secu.withPublic { client in
            var agent = PageClient(client)
            _ = try await agent.signIn("agent", World.password, totp: secret)
            let fr = try await agent.get("/web/dossiers/\(secu.account.rawValue)?purpose=affiliation&lang=fr")
            let fieldset = try #require(fr.html.range(of: #"<fieldset id="edit-partners">"#).map { fr.html[$0.lowerBound...] }.flatMap { rest in
                rest.range(of: "</fieldset>").map { String(rest[..<$0.upperBound]) } }, "the agent may change the employers")
            #expect(fieldset.contains("<legend>Employeurs</legend>") && fieldset.contains(">Employeur 1</label>"), "\(fieldset)")
            #expect(fieldset.contains("Jusqu&#39;à 5 employeurs."), "\(fieldset)")
            #expect(!fieldset.contains("Choix") && !fieldset.contains("préférence") && !fieldset.contains("services"), "\(fieldset)")
            let en = try await agent.get("/web/dossiers/\(secu.account.rawValue)?purpose=affiliation&lang=en")
            #expect(en.html.contains("<legend>Employers</legend>") && en.html.contains(">Employer 1</label>") && en.html.contains("Up to 5 employers."))
            #expect(!en.html.contains("Choice 1") && !en.html.contains("order of preference"))
        }
        #expect(Labels.field("partners", language: "fr", profile: secu.profile) == "employeurs")

        let emploi = try await EmploiWorld.make(size: 50)
        defer { emploi.remove() }
        try await emploi.withPublic { client in
            var seeker = PageClient(client)
            _ = try await seeker.signIn("seeker", World.password)
            let apply = try await seeker.get("/web/apply?lang=fr")
            #expect(apply.html.contains("<legend>Agence</legend>") && apply.html.contains(">Agence</label>"), "\(apply.html)")
            #expect(!apply.html.contains("Choix 1") && !apply.html.contains("préférence"))
        }

        let place05 = try await World.make()
        defer { place05.remove() }
        _ = try await place05.registerParent("parent1")
        try await place05.withPublic { client in
            var parent = PageClient(client)
            _ = try await parent.signIn("parent1", World.password)
            let apply = try await parent.get("/web/apply?lang=fr")
            #expect(apply.html.contains("<legend>Services choisis, par ordre de préférence</legend>") && apply.html.contains(">Choix 1</label>"))
        }
    }
}
