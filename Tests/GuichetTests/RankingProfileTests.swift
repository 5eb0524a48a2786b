import Foundation
import Testing
import GuichetCore
import GuichetProfile

/// The waiting list's rule, the capacity of an offer and its e-mail are declared in the
/// profile (issue 16, R1) and checked when it loads.
@Suite struct RankingProfileTests {
    @Test("place05 ranks waiting applications by sibling then application date, and its offer takes a place and mails the parents")
    func place05DeclaresItsRank() throws {
        let app = try #require(try Repo.profile().dossierTypes["application"])
        let ranking = try #require(app.ranking)
        #expect(ranking.states == ["waiting"])
        #expect(ranking.keys == [.field("siblingAttends", descending: true), .created(descending: false)])
        #expect(ranking.explanation["fr"]?.isEmpty == false && ranking.explanation["en"]?.isEmpty == false)
        let offer = try #require(app.workflow.transitions["offer"])
        #expect(offer.capacity == CapacityRule(holds: ["offered", "placed"], by: "offeredBy"))
        #expect(offer.notice?.roles == ["parent"] && offer.notice?.field == "email")
        #expect(app.workflow.transitions["decline"]?.notice == nil && app.workflow.transitions["decline"]?.capacity == nil)
        #expect(app.workflow.transitions["close"]?.by == "offeredBy" && offer.by == nil, "the offering daycare closes")
    }

    static let broken: [ProfileTests.Broken] = [
        .init(name: "rank by a sealed field", replace: "- siblingAttends: true-first", with: "- specialNeeds: true-first",
              key: "dossiers.application.rank.order.[0].specialNeeds", message: "a rank reads public fields only"),
        .init(name: "rank by an unknown field", replace: "- siblingAttends: true-first", with: "- sibling: true-first",
              key: "dossiers.application.rank.order.[0].sibling", message: "'sibling' is not a field of this dossier type"),
        .init(name: "rank in an unknown direction", replace: "- created: oldest-first", with: "- created: first-come",
              key: "dossiers.application.rank.order.[1].created", message: "expected oldest-first or newest-first"),
        .init(name: "rank by a text field", replace: "- siblingAttends: true-first", with: "- schedule: true-first",
              key: "dossiers.application.rank.order.[0].schedule", message: "rank by a boolean, date or integer field"),
        .init(name: "rank of an undeclared state", replace: "states: [waiting]\n      order:", with: "states: [pending]\n      order:",
              key: "dossiers.application.rank.states", message: "'pending' is not one of the states"),
        .init(name: "rule in words without English", replace: "        en: \"Waiting applications", with: "        de: \"Waiting applications",
              key: "dossiers.application.rank.explanation", message: "the rule in words is needed in 'en'"),
        .init(name: "capacity counted by a field the offer does not set to its organisation",
              replace: "capacity: {holds: [offered, placed], by: offeredBy}", with: "capacity: {holds: [offered, placed], by: offeredOn}",
              key: "dossiers.application.workflow.transitions.offer.capacity.by", message: "'by' must be a public field"),
        .init(name: "close restricted by a field that is not a public system field",
              replace: "to: closed, by: offeredBy}", with: "to: closed, by: schedule}",
              key: "dossiers.application.workflow.transitions.close.by", message: "'by' must be a public system field"),
        .init(name: "close restricted by a date no transition sets to an organisation",
              replace: "to: closed, by: offeredBy}", with: "to: closed, by: offeredOn}",
              key: "dossiers.application.workflow.transitions.close.by", message: "names a field no transition sets to actor.organisation"),
        .init(name: "offer e-mail to a field that is not an address", replace: "field: email", with: "field: phone",
              key: "dossiers.application.workflow.transitions.offer.notify.field", message: "is not an e-mail field"),
    ]

    @Test("a bad rank, capacity or e-mail rule is refused with its file, line, key and what is wrong", arguments: broken)
    func badRuleIsRefused(_ b: ProfileTests.Broken) throws {
        try ProfileTests().brokenProfileIsRefused(b)
    }
}
