import GuichetCore

extension ProfileBuilder {
    /// A dossier type's `rank:` section (docs/PROFILES.md, "Rank"):
    /// ```yaml
    /// rank:
    ///   states: [waiting]                 # ranked states (default: the initial state)
    ///   order:                            # keys in order; ties end on the dossier's id
    ///     - siblingAttends: true-first    # a public boolean: true-first or false-first
    ///     - created: oldest-first         # the application date: oldest-first or newest-first
    ///   explanation: {fr: "…", en: "…"}   # the rule in words, shown to the persons ranked
    /// ```
    /// Keys are public fields only, so a rank never needs a decryption.
    func ranking(_ c: YAMLCursor, fields: [FieldSpec], workflow: Workflow) throws -> Ranking {
        let d = try c.dictionary(allowed: ["states", "order", "explanation"])
        let states = try d["states"]?.strings() ?? [workflow.initial]
        for s in states where !workflow.states.contains(s) { throw d["states"]!.fail("'\(s)' is not one of the states") }
        guard !states.isEmpty else { throw d["states"]!.fail("rank at least one state") }
        let orderCursor = try d.required("order", in: c)
        var keys: [Ranking.Key] = []
        for item in try orderCursor.sequence() {
            let pair = try item.mapping()
            guard pair.count == 1, let (name, direction) = pair.first else {
                throw item.fail("each key is one 'field: direction' (siblingAttends: true-first, created: oldest-first)")
            }
            keys.append(try rankKey(name, direction, fields: fields))
        }
        guard !keys.isEmpty else { throw orderCursor.fail("give at least one key") }
        let explanationCursor = try d.required("explanation", in: c)
        let explanation = try labels(explanationCursor, maxLength: 600)
        for language in ["fr", "en"] where explanation[language] == nil {
            throw explanationCursor.fail("the rule in words is needed in '\(language)'")
        }
        return Ranking(states: Set(states), keys: keys, explanation: explanation)
    }

    func rankKey(_ name: String, _ c: YAMLCursor, fields: [FieldSpec]) throws -> Ranking.Key {
        let direction = try c.string()
        if name == "created" {
            guard ["oldest-first", "newest-first"].contains(direction) else { throw c.fail("expected oldest-first or newest-first") }
            return .created(descending: direction == "newest-first")
        }
        guard let spec = fields.first(where: { $0.name == name }) else {
            throw c.fail("'\(name)' is not a field of this dossier type (or 'created', the application date)")
        }
        guard spec.classification == .public else {
            throw c.fail("'\(name)' is \(spec.classification): a rank reads public fields only, never a sealed one")
        }
        let expected: [String]
        switch spec.type {
        case .boolean: expected = ["true-first", "false-first"]
        case .date: expected = ["oldest-first", "newest-first"]
        case .integer: expected = ["smallest-first", "largest-first"]
        default: throw c.fail("'\(name)' cannot order a list: rank by a boolean, date or integer field")
        }
        guard expected.contains(direction) else { throw c.fail("expected \(expected.joined(separator: " or "))") }
        // true sorts above false: true-first is descending, like newest-first and largest-first.
        return .field(name, descending: spec.type == .boolean ? direction == expected[0] : direction == expected[1])
    }

    /// A transition's `capacity: {holds: [offered, placed], by: offeredBy}`: the field `by`
    /// must be a public system field the transition sets to `actor.organisation`.
    func capacity(_ c: YAMLCursor, fields: [FieldSpec], states: [String], sets: [String: ActorAttribute]) throws -> CapacityRule {
        let d = try c.dictionary(allowed: ["holds", "by"])
        let holds = try d.required("holds", in: c).strings()
        for s in holds where !states.contains(s) { throw d["holds"]!.fail("'\(s)' is not one of the states") }
        guard !holds.isEmpty else { throw d["holds"]!.fail("name the states that hold a place") }
        let by = try d.required("by", in: c).string()
        guard sets[by] == .organisation, fields.first(where: { $0.name == by })?.classification == .public else {
            throw d["by"]!.fail("'by' must be a public field this transition sets to actor.organisation")
        }
        return CapacityRule(holds: Set(holds), by: by)
    }

    /// A transition's `notify: {persons: [parent], field: email, subject: {…}, text: {…}}`.
    func notice(_ c: YAMLCursor, links: [PersonLinkSpec], personFields: [FieldSpec]) throws -> TransitionNotice {
        let d = try c.dictionary(allowed: ["persons", "field", "subject", "text"])
        let roles = try d.required("persons", in: c).strings()
        for r in roles where !links.contains(where: { $0.role == r }) { throw d["persons"]!.fail("'\(r)' is not a person role of this dossier type") }
        let field = try d.required("field", in: c).string()
        guard personFields.first(where: { $0.name == field })?.type == .email else {
            throw d["field"]!.fail("'\(field)' is not an e-mail field of the persons")
        }
        let subjectCursor = try d.required("subject", in: c), textCursor = try d.required("text", in: c)
        let subject = try labels(subjectCursor), text = try labels(textCursor, maxLength: 2_000)
        for language in ["fr", "en"] {
            if subject[language] == nil { throw subjectCursor.fail("the subject is needed in '\(language)'") }
            if text[language] == nil { throw textCursor.fail("the text is needed in '\(language)'") }
        }
        return TransitionNotice(roles: Set(roles), field: field, subject: subject, text: text)
    }
}
