import Foundation
import Testing
import GuichetCore
import GuichetProfile
import GuichetServer
@testable import GuichetSynth

/// Field types of the non-Québec deployments (issue 16, item 6): French and Moroccan phone
/// numbers stored in one E.164 form, the Moroccan CIN and CNSS registration number, and the
/// reference profiles that declare them.
@Suite struct PhoneAndMoroccanIDTests {
    func value(_ raw: String, _ type: FieldType) throws -> String {
        guard case .text(let s) = try FieldValidation.value(.string(raw), for: FieldSpec(name: "x", type: type, classification: .contact), path: "x") else {
            throw GuichetError.invalid("not text")
        }
        return s
    }

    @Test("French numbers written nationally or with +33 or 0033 are stored as one E.164 number", arguments: [
        ("06 39 98 12 34", "+33639981234"), ("0639981234", "+33639981234"), ("06.39.98.12.34", "+33639981234"),
        ("+33 6 39 98 12 34", "+33639981234"), ("0033 6 39 98 12 34", "+33639981234"), ("01-99-00-12-34", "+33199001234"),
        (" 09 12 34 56 78 ", "+33912345678"),
    ])
    func frenchPhones(_ raw: String, _ stored: String) throws {
        #expect(try value(raw, .phone(format: .fr)) == stored)
    }

    @Test("French numbers that look right but are not are refused", arguments: [
        "+33 06 39 98 12 34",   // the trunk 0 kept after +33
        "06 39 98 12 3",        // 9 digits
        "06 39 98 12 34 5",     // 11 digits
        "00 39 98 12 34",       // 0 after the trunk prefix
        "6 39 98 12 34",        // no trunk prefix
        "+212 6 12 34 56 78",   // a Moroccan number
        "(06) 39 98 12 34",     // parentheses
        "06 39 98 12 3A",       // a letter
        "+1 514 555 0142",      // a North American number
        "",
    ])
    func frenchPhonesRefused(_ raw: String) {
        #expect(throws: GuichetError.self) { try value(raw, .phone(format: .fr)) }
        #expect(FieldValidation.normalisePhone(raw, format: .fr) == nil)
    }

    @Test("Moroccan numbers 05, 06 and 07, national or +212 or 00212, are stored as one E.164 number", arguments: [
        ("06 12 34 56 78", "+212612345678"), ("0712345678", "+212712345678"), ("05 22 12 34 56", "+212522123456"),
        ("+212 6 12 34 56 78", "+212612345678"), ("+212-712-345-678", "+212712345678"), ("00212 5 22 12 34 56", "+212522123456"),
    ])
    func moroccanPhones(_ raw: String, _ stored: String) throws {
        #expect(try value(raw, .phone(format: .ma)) == stored)
    }

    @Test("Moroccan numbers that look right but are not are refused", arguments: [
        "08 12 34 56 78",        // 08 is not among 05, 06, 07
        "04 12 34 56 78",
        "+212 06 12 34 56 78",   // the trunk 0 kept after +212
        "+212 8 12 34 56 78",
        "06 12 34 56 7",         // 9 digits
        "06 12 34 56 78 9",      // 11 digits
        "+33 6 39 98 12 34",     // a French number
        "612345678",             // no trunk prefix
    ])
    func moroccanPhonesRefused(_ raw: String) {
        #expect(throws: GuichetError.self) { try value(raw, .phone(format: .ma)) }
    }

    @Test("a refused phone's message names the expected numbering, never the value")
    func phoneMessage() {
        do {
            _ = try value("08 12 34 56 78", .phone(format: .ma))
            Issue.record("an 08 number was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("Moroccan phone number") && !text.contains("08 12"))
        }
    }

    @Test("CIN: one or two letters then up to six digits; CNSS: exactly nine digits", arguments: [
        ("A123456", NationalIDFormat.cin, true), ("BE123456", .cin, true), ("be 123456", .cin, true), ("J12345", .cin, true),
        ("ABC12345", .cin, false), ("A1234567", .cin, false), ("123456", .cin, false), ("BE", .cin, false), ("B-123456", .cin, false),
        ("123456789", .cnss, true), ("123 456 789", .cnss, true),
        ("12345678", .cnss, false), ("1234567890", .cnss, false), ("12345678A", .cnss, false), ("A123456", .cnss, false),
        ("１２３４５６７８９", .cnss, false),  // full-width digits are not ASCII digits
    ])
    func moroccanIdentifiers(_ raw: String, _ format: NationalIDFormat, _ valid: Bool) {
        let spec = FieldSpec(name: "id", type: .nationalID(format: format), classification: .nationalID)
        let result = Result { try FieldValidation.value(.string(raw), for: spec, path: "insured.id") }
        if valid {
            #expect((try? result.get()) == .text(raw.uppercased().filter { !$0.isWhitespace }))
        } else {
            #expect(throws: GuichetError.self) { try result.get() }
        }
    }

    @Test("synthetic Moroccan identifiers and phones validate")
    func syntheticMorocco() {
        var rng = SplitMix64(seed: 12)
        for _ in 0..<500 {
            #expect(FieldValidation.isValidCIN(SyntheticMorocco.cin(using: &rng)))
            #expect(FieldValidation.isValidCNSS(SyntheticMorocco.cnss(using: &rng)))
            let phone = SyntheticMorocco.phone(using: &rng)
            #expect(FieldValidation.normalisePhone(phone, format: .ma)?.hasPrefix("+212") == true, "\(phone)")
            #expect(FieldValidation.normalisePhone(SyntheticNIR.phone(using: &rng), format: .fr)?.hasPrefix("+33") == true)
        }
    }

    @Test("a log line loses Moroccan identifiers and E.164 phones, and keeps ordinary numbers")
    func redaction() {
        let line = RedactingLogHandler.redact("cnss 123456789 cin BE123456 and J12345 phone +212612345678 port 8080 took 12 ms")
        #expect(line == "cnss [redacted] cin [redacted] and [redacted] phone [redacted] port 8080 took 12 ms", "\(line)")
        #expect(RedactingLogHandler.redact("A1 B22 12345678") == "A1 B22 12345678", "short codes and 8-digit numbers stay")
    }

    @Test("the reference profiles declare their country's phone and identifiers", arguments: [
        ("place05", PhoneFormat.nanp, ["nam"]), ("jeunes", .fr, []), ("emploi", .fr, ["nir"]), ("secu", .ma, ["cin", "cnss"]),
    ])
    func profiles(_ name: String, _ phone: PhoneFormat, _ identifiers: [String]) throws {
        let profile = try Repo.profile(named: name)
        #expect(profile.personField("phone")?.type == .phone(format: phone))
        let ids = profile.personFields.filter { if case .nationalID = $0.type { true } else { false } }.map(\.name)
        #expect(ids.sorted() == identifiers)
    }

    @Test("a profile with an unknown phone numbering is refused with its place")
    func unknownNumbering() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = try String(contentsOfFile: Repo.root.appendingPathComponent("profiles/secu/profile.yaml").path, encoding: .utf8)
            .replacingOccurrences(of: "{type: phone, format: ma,", with: "{type: phone, format: be,")
        try text.write(to: folder.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        #expect {
            _ = try ProfileLoader.load(path: folder.path)
        } throws: { "\($0)".contains("unknown phone numbering") && "\($0)".contains("nanp, fr, ma") }
    }
}
