import Foundation
import Testing
@testable import GuichetMFA

/// The verifier's rules: drift window, one use per code, exact format; and the secret's.
struct TOTPVerificationTests {
    let secret: TOTPSecret
    /// A time in the middle of step 57 000 000 (about 2024-03-13).
    let now = Date(timeIntervalSince1970: 57_000_000 * 30 + 12)
    let step: Int64 = 57_000_000

    init() throws {
        secret = try TOTPSecret(base32: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    }

    func code(step: Int64) -> String { secret.code(at: Date(timeIntervalSince1970: TimeInterval(step * 30))) }

    @Test("The current code is accepted and its time step returned")
    func current() {
        #expect(secret.verify(code(step: step), at: now, lastUsedStep: nil) == step)
    }

    @Test("At window 1 the previous and next steps' codes are accepted, two steps away are refused")
    func window() {
        #expect(secret.verify(code(step: step - 1), at: now, window: 1, lastUsedStep: nil) == step - 1)
        #expect(secret.verify(code(step: step + 1), at: now, window: 1, lastUsedStep: nil) == step + 1)
        #expect(secret.verify(code(step: step - 2), at: now, window: 1, lastUsedStep: nil) == nil)
        #expect(secret.verify(code(step: step + 2), at: now, window: 1, lastUsedStep: nil) == nil)
    }

    @Test("At window 0 only the current step's code is accepted")
    func windowZero() {
        #expect(secret.verify(code(step: step), at: now, window: 0, lastUsedStep: nil) == step)
        #expect(secret.verify(code(step: step - 1), at: now, window: 0, lastUsedStep: nil) == nil)
        #expect(secret.verify(code(step: step + 1), at: now, window: 0, lastUsedStep: nil) == nil)
    }

    @Test("A code is refused once its step, or a later one, has been used")
    func replay() throws {
        let used = try #require(secret.verify(code(step: step), at: now, lastUsedStep: nil))
        #expect(secret.verify(code(step: step), at: now, lastUsedStep: used) == nil)
        #expect(secret.verify(code(step: step - 1), at: now, lastUsedStep: used) == nil)
        #expect(secret.verify(code(step: step + 1), at: now, lastUsedStep: used) == step + 1)
        #expect(secret.verify(code(step: step), at: now, lastUsedStep: step + 1) == nil)
    }

    @Test("Codes that are not exactly six ASCII digits are refused")
    func format() {
        let good = code(step: step)
        // The same digits in Arabic-Indic (U+0660...U+0669): always valid scalars, hence the `!`.
        let arabicIndic = String(good.unicodeScalars.map { Character(Unicode.Scalar(0x0660 + $0.value - 0x30)!) })
        for typed in ["", String(good.dropLast()), good + "0", " " + good, good + "\n", "+" + good.dropFirst(),
                      String(good.prefix(3)) + " " + String(good.suffix(3)), arabicIndic, "abcdef", "１２３４５６"] {
            #expect(secret.verify(typed, at: now, lastUsedStep: nil) == nil, "\(typed.debugDescription)")
        }
    }

    @Test("A wrong code is refused")
    func wrong() {
        let good = code(step: step)
        let last = good.last!.wholeNumberValue!  // six ASCII digits, so the last is a digit
        let wrong = String(good.dropLast()) + String((last + 1) % 10)
        #expect(secret.verify(wrong, at: now, lastUsedStep: nil) == nil)
    }

    @Test("Codes are zero-padded to six digits")
    func padding() throws {
        // About one step in ten has a code with a leading zero: find one.
        let step = try #require((0..<Int64(2000)).first { code(step: $0).hasPrefix("0") })
        #expect(code(step: step).count == 6)
        #expect(secret.verify(code(step: step), at: Date(timeIntervalSince1970: TimeInterval(step * 30)),
                              lastUsedStep: nil) == step)
    }

    @Test("A fresh secret has 20 random bytes and prints no key")
    func fresh() throws {
        let a = TOTPSecret()
        let b = TOTPSecret()
        #expect(try Base32.decode(a.base32).count == 20)
        #expect(a.base32 != b.base32)
        #expect(!a.description.contains(a.base32))
        #expect(!"\(a)".contains(a.base32))
        #expect(!String(reflecting: a).contains(a.base32))
        var dumped = ""
        dump(a, to: &dumped)
        #expect(!dumped.contains("key"), "dump shows no key member")
        #expect(try TOTPSecret(base32: a.base32).code(at: now) == a.code(at: now))
    }

    @Test("A key shorter than 128 bits is refused")
    func shortKey() {
        #expect(throws: MFAError.self) { try TOTPSecret(key: Array(repeating: 7, count: 15)) }
        #expect(throws: MFAError.self) { try TOTPSecret(base32: "JBSWY3DPEHPK3PXP") }  // 10 bytes
    }

    @Test("The provisioning URI percent-encodes issuer and account and carries every parameter")
    func uri() throws {
        let secret = try TOTPSecret(base32: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", algorithm: .sha256, digits: 8, period: 60)
        let uri = secret.provisioningURI(issuer: "Guichet Crèche", account: "agent:7&x?y@mairie.example")
        #expect(uri == "otpauth://totp/Guichet%20Cr%C3%A8che:agent%3A7%26x%3Fy%40mairie.example"
            + "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Guichet%20Cr%C3%A8che"
            + "&algorithm=SHA256&digits=8&period=60")
    }
}
