import Foundation
import Testing
@testable import GuichetMFA

/// Collected client data (WebAuthn L3 §5.8.1) checks that soft-webauthn's output never
/// exercises: cross-origin frames, Token Binding, exact string comparison.
struct ClientDataTests {
    let relyingParty = RelyingParty(id: "guichet.example", origin: "https://guichet.example")
    let challenge: [UInt8] = Array(0xF8...0xFF) + Array(0xF8...0xFF)  // base64url uses '-' and '_' here

    func check(_ fields: [String: Any]) throws {
        var object: [String: Any] = ["type": "webauthn.get", "challenge": B64URL.encode(challenge),
                                     "origin": "https://guichet.example"]
        object.merge(fields) { _, new in new }
        let json = try JSONSerialization.data(withJSONObject: object)
        try ClientData.check(Array(json), ceremony: "webauthn.get", challenge: challenge, relyingParty: relyingParty)
    }

    @Test("Well-formed client data passes, with crossOrigin false and unknown members ignored")
    func accepts() throws {
        #expect(B64URL.encode(challenge).contains("-") || B64URL.encode(challenge).contains("_"))
        try check([:])
        try check(["crossOrigin": false, "other_keys_can_be_added_here": "x"])
    }

    @Test("A relying party with the admin pages' origin too accepts both origins, exactly, and no third")
    func twoOrigins() throws {
        let both = RelyingParty(id: "guichet.example", origin: "https://guichet.example", also: ["https://admin.guichet.example"])
        func ceremony(on origin: String) throws {
            let json = try JSONSerialization.data(withJSONObject: ["type": "webauthn.get", "challenge": B64URL.encode(challenge), "origin": origin])
            try ClientData.check(Array(json), ceremony: "webauthn.get", challenge: challenge, relyingParty: both)
        }
        try ceremony(on: "https://guichet.example")
        try ceremony(on: "https://admin.guichet.example")
        for other in ["https://evil.guichet.example", "https://admin.guichet.example/", "http://admin.guichet.example", "https://ADMIN.guichet.example"] {
            #expect(throws: MFAError.wrongOrigin, "\(other)") { try ceremony(on: other) }
        }
        #expect(throws: MFAError.wrongOrigin, "with one origin, the admin pages' is refused") { try check(["origin": "https://admin.guichet.example"]) }
    }

    @Test("A ceremony in a cross-origin frame is refused as crossOriginRefused")
    func crossOrigin() {
        #expect(throws: MFAError.crossOriginRefused) {
            try check(["crossOrigin": true, "topOrigin": "https://guichet.example.evil.test"])
        }
    }

    @Test("The challenge must be the unpadded base64url text, not padded nor standard base64")
    func challengeSpelling() {
        let standard = Data(challenge).base64EncodedString()
        #expect(throws: MFAError.wrongChallenge) { try check(["challenge": standard]) }
        #expect(throws: MFAError.wrongChallenge) { try check(["challenge": B64URL.encode(challenge) + "="]) }
        #expect(throws: MFAError.wrongChallenge) { try check(["challenge": B64URL.encode(Array(challenge.dropLast()))]) }
    }

    @Test("Origins are compared byte for byte: case, trailing slash or another Unicode spelling is refused")
    func originExact() {
        for origin in ["https://Guichet.example", "https://guichet.example/", "https://guichet.example.", ""] {
            #expect(throws: MFAError.wrongOrigin, "\(origin)") { try check(["origin": origin]) }
        }
        let composed = RelyingParty(id: "crèche.example", origin: "https://cr\u{E8}che.example")
        let decomposed = #"{"type":"webauthn.get","challenge":"\#(B64URL.encode(challenge))","origin":"https://cre\#u{300}che.example"}"#
        #expect(throws: MFAError.wrongOrigin) {
            try ClientData.check(Array(decomposed.utf8), ceremony: "webauthn.get", challenge: challenge, relyingParty: composed)
        }
    }

    @Test("Token Binding claimed as present is refused")
    func tokenBinding() throws {
        try check(["tokenBinding": ["status": "supported"]])
        #expect(throws: MFAError.malformed("clientDataJSON claims Token Binding, which is not supported")) {
            try check(["tokenBinding": ["status": "present", "id": "AAAA"]])
        }
    }

    @Test("Client data that is not UTF-8, too long, or missing a member is refused as malformed")
    func malformed() {
        #expect(throws: MFAError.malformed("clientDataJSON is not UTF-8")) {
            try ClientData.check([0x7B, 0xFF, 0x7D], ceremony: "webauthn.get", challenge: challenge, relyingParty: relyingParty)
        }
        #expect(throws: MFAError.malformed("clientDataJSON too long")) {
            try check(["padding": String(repeating: "x", count: ClientData.maximumLength)])
        }
        let noOrigin = #"{"type":"webauthn.get","challenge":"\#(B64URL.encode(challenge))"}"#
        #expect(throws: MFAError.malformed("clientDataJSON is not the expected JSON object")) {
            try ClientData.check(Array(noOrigin.utf8), ceremony: "webauthn.get", challenge: challenge, relyingParty: relyingParty)
        }
    }
}
