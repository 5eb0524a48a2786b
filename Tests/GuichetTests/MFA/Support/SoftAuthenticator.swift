import Foundation
import Testing

/// A soft-webauthn device driven through Tests/peers/webauthn_peer.py, its state in a
/// temporary file of its own, so that tests running in parallel do not share a device.
final class SoftAuthenticator: Sendable {
    static let rpID = "guichet.example"
    static let origin = "https://guichet.example"

    let folder: URL
    var state: String { folder.appendingPathComponent("device.json").path }

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("guichet-mfa-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// The response to `navigator.credentials.create()`.
    struct Attestation: Decodable {
        let id: String
        let clientDataJSON: String
        let attestationObject: String
    }

    /// The response to `navigator.credentials.get()`.
    struct Assertion: Decodable {
        let id: String
        let clientDataJSON: String
        let authenticatorData: String
        let signature: String
        let signCount: UInt32
    }

    /// Registers a new credential on the device.
    func create(challenge: [UInt8], rpID: String = rpID, origin: String = origin,
                attestation: String = "none") throws -> Attestation {
        let json = try Peers.script("webauthn_peer.py", [
            "create", state, rpID, origin, B64URL.encode(challenge), B64URL.encode(Array("user-0001".utf8)), attestation,
        ])
        return try JSONDecoder().decode(Attestation.self, from: Data(json.utf8))
    }

    /// Signs in with the device's credential; `extra` passes --as-rp-id or --set-sign-count.
    func get(challenge: [UInt8], rpID: String = rpID, origin: String = origin,
             extra: [String] = []) throws -> Assertion {
        let json = try Peers.script("webauthn_peer.py", ["get", state, rpID, origin, B64URL.encode(challenge)] + extra)
        return try JSONDecoder().decode(Assertion.self, from: Data(json.utf8))
    }
}
