import Foundation
import Testing
import GuichetCore
import GuichetSynth

/// Identifiers are random and URL-safe; identifier formats are checked as published.
@Suite struct IdentifierAndFormatTests {
    @Test("identifiers are 22 URL-safe characters carrying 128 random bits, and never repeat")
    func identifiersAreRandom() {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let id = DossierID()
            #expect(id.rawValue.count == 22)
            #expect(id.rawValue.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            #expect(DossierID(validating: id.rawValue) == id)
            seen.insert(id.rawValue)
        }
        #expect(seen.count == 10_000)
        // 10,000 draws would start about 156 of them with '-', which a command line takes for
        // an option (`guichet breach update --incident -x…`).
        #expect(!seen.contains { $0.hasPrefix("-") }, "no identifier starts with '-'")
        #expect(seen.contains { $0.hasPrefix("_") })
    }

    @Test("malformed identifiers are refused", arguments: ["", "1", "AAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAA+/",
                                                          "../../../etc/passwd....", "AAAAAAAAAAAAAAAAAAAAAB"])
    func malformedIdentifiers(_ text: String) {
        #expect(DossierID(validating: text) == nil)
    }

    @Test("base64url round-trips every byte value (RFC 4648 §5)")
    func base64url() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        #expect(Base64URL.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
    }

    @Test("base64url is Foundation's base64 with the URL alphabet and no padding, for every length and kind of collection")
    func base64urlAgainstFoundation() {
        var rng = SystemRandomNumberGenerator()
        for length in 0...64 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected, "array of \(length)")
            #expect(Base64URL.encode(Data(bytes)) == expected, "Data of \(length)")
            #expect(Base64URL.encode(([0] + bytes).dropFirst()) == expected, "slice of \(length)")
            #expect(Base64URL.encode(bytes.lazy.map { $0 }) == expected, "a collection without contiguous storage, of \(length)")
            #expect(bytes.withUnsafeBytes { Base64URL.encode($0) } == expected, "buffer of \(length)")
        }
    }

    @Test("NIR keys: 97 − (N mod 97), with Corsica's 2A and 2B", arguments: [
        ("255081416802538", true), ("255082A16802538", false), ("1850578006048" + "97", false),
    ])
    func nir(_ value: String, _ valid: Bool) {
        #expect(FieldValidation.isValidNIR(value) == valid)
    }

    @Test("a NIR built with the published key rule validates, also for 2A and 2B")
    func nirKeys() {
        for body in ["2550814168025", "1850578006048", "2991299123456"] {
            let key = 97 - Int(UInt64(body)! % 97)
            #expect(FieldValidation.isValidNIR(body + String(format: "%02d", key)))
            #expect(!FieldValidation.isValidNIR(body + String(format: "%02d", (key % 97) + 1)))
        }
        // 2A → 19 before computing the key.
        let corsica = "18502" + "2A" + "012345"
        let key = 97 - Int(UInt64("18502" + "19" + "012345")! % 97)
        #expect(FieldValidation.isValidNIR(corsica + String(format: "%02d", key)))
    }

    @Test("health-insurance numbers (NAM), identity cards (CIN), phones and e-mails")
    func otherFormats() {
        #expect(FieldValidation.isValidNAM("TREE21531507"))
        #expect(!FieldValidation.isValidNAM("TREE21131507"), "month 13 is not a month")
        #expect(!FieldValidation.isValidNAM("TRE121531507"))
        #expect(FieldValidation.isValidCIN("A123456") && FieldValidation.isValidCIN("BE123456"))
        #expect(!FieldValidation.isValidCIN("ABC123") && !FieldValidation.isValidCIN("A1234567"))
        #expect(FieldValidation.normalisePhone("(514) 555-0142") == "+15145550142")
        #expect(FieldValidation.normalisePhone("+1 438 555 0199") == "+14385550199")
        #expect(FieldValidation.normalisePhone("+33 1 23 45 67 89") == nil)
        #expect(FieldValidation.normalisePhone("123-555-0142") == nil)
        #expect(FieldValidation.normaliseEmail(" Marie@Example.ORG ") == "marie@example.org")
        #expect(FieldValidation.normaliseEmail("not an address") == nil)
    }

    @Test("synthetic NAMs follow the published layout (women's month + 50)")
    func syntheticNAM() {
        let nam = NAM.make(lastName: "Côté", firstName: "Émilie", birthYear: 2022, birthMonth: 3, birthDay: 9, female: true, sequence: 7)
        #expect(nam == "COTE22530907")
        #expect(FieldValidation.isValidNAM(nam))
    }

    @Test("a plaintext value never prints")
    func valuesAreRedacted() {
        let v = FieldValue.text("TREE21531507")
        #expect("\(v)" == "[redacted]" && String(reflecting: v) == "[redacted]")
    }
}
