import Foundation
import Testing
import GuichetCore
import GuichetMFA
import HummingbirdTesting
@testable import GuichetServer

/// The account page's QR code of an authenticator app's address, read by a decoder we did not
/// write: zbar's `zbarimg` (Debian's zbar-tools, installed by scripts/test).
@Suite struct QRCodeTests {
    static let zbarimg = "/usr/bin/zbarimg"

    /// The modules as a PGM picture, four pixels a module, with the quiet zone.
    static func picture(_ modules: [[Bool]], in folder: URL) throws -> String {
        let scale = 4, n = (modules.count + 8) * scale
        var pixels = [UInt8](repeating: 255, count: n * n)
        for (y, row) in modules.enumerated() {
            for (x, dark) in row.enumerated() where dark {
                for dy in 0..<scale { for dx in 0..<scale { pixels[((y + 4) * scale + dy) * n + (x + 4) * scale + dx] = 0 } }
            }
        }
        let file = folder.appendingPathComponent("\(UUID().uuidString).pgm")
        try (Data("P5\n\(n) \(n)\n255\n".utf8) + Data(pixels)).write(to: file)
        return file.path
    }

    static func decoded(_ modules: [[Bool]], in folder: URL) async throws -> String {
        let r = try await Child.run(zbarimg, ["--raw", "-q", "-Sdisable", "-Sqrcode.enable", try picture(modules, in: folder)], timeout: 60)
        #expect(r.status == 0, "\(r.output)")
        return r.stdout.hasSuffix("\n") ? String(r.stdout.dropLast()) : r.stdout
    }

    @Test("zbar reads back every length from 1 to 213 bytes (versions 1 to 10, every mask chosen); 214 bytes are refused", arguments: [1, 14, 15, 26, 27, 42, 43, 62, 63, 84, 85, 106, 107, 122, 123, 152, 153, 180, 181, 213])
    func roundTrip(_ length: Int) async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:/?=&%.-")
        var rng = SystemRandomNumberGenerator()
        let text = String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
        let code = try #require(QRCode(bytes: Array(text.utf8)))
        #expect(code.size == code.version * 4 + 17)
        #expect(try await Self.decoded(code.modules, in: folder) == text, "\(length) bytes, version \(code.version)")
        #expect(QRCode(bytes: Array(repeating: 0x41, count: 214)) == nil)
    }

    @Test("Reed-Solomon: the codewords of 'HELLO WORLD' in version 1-M are the standard's worked example")
    func reedSolomonVector() {
        // ISO/IEC 18004 Annex I (and Thonky's tutorial): the 16 data codewords and 10 EC codewords.
        let data: [UInt8] = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]
        let ecc = ReedSolomon.remainder(data, ReedSolomon.divisor(degree: 10))
        #expect(ecc == [196, 35, 39, 119, 235, 215, 231, 226, 93, 23])
    }

    @Test("the account page shows the app's address as a QR code that zbar reads as the address shown in text")
    func accountPageCode() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let activation = try await world.activationCode("daycare1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("daycare1", World.password)
            let account = try await browser.get("/web/account?lang=fr")
            let begun = try await browser.post("/web/account/totp", [("csrf", try #require(account.csrf)), ("activationCode", activation)])
            #expect(begun.status == .ok)
            let uri = try #require(begun.html.firstMatch(of: #/<code id="app-uri" class="wrap">([^<]+)</code>/#).map { String($0.1) })
                .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&#39;", with: "'")
            #expect(uri.hasPrefix("otpauth://totp/"))
            let svg = try #require(begun.html.firstMatch(of: #/<p id="app-qr"><svg [^>]*viewBox="0 0 (\d+) \d+"[^>]*aria-label="([^"]+)"[^>]*>.*?<path d="([^"]+)"/#))
            #expect(svg.2.contains("QR"), "the picture is named for a screen reader")
            // The squares of the path back into modules, then to zbar.
            let extent = try #require(Int(svg.1)), size = extent - 8
            var modules = Array(repeating: Array(repeating: false, count: size), count: size)
            for square in String(svg.3).matches(of: #/M(\d+) (\d+)h1v1h-1z/#) {
                modules[Int(square.2)! - 4][Int(square.1)! - 4] = true
            }
            #expect(try await Self.decoded(modules, in: folder) == uri)
        }
    }
}
