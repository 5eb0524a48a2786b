import GuichetCore
import GuichetGate
import GuichetAuth
import GuichetLedger
import GuichetMerkle
import Hummingbird
import NIOCore
import Foundation

extension GuichetServer {
    /// Public transparency: the latest signed checkpoint and the keys that verify it.
    func addPublicLedgerRoutes(_ r: RouteRecorder) {
        r.on(.get, "/v1/ledger/checkpoint") { _, _ in
            guard let (note, _) = try await self.gate.auditor.latestCheckpoint() else { throw GuichetError.notFound }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: note)))
        }
        r.on(.get, "/v1/ledger/key") { _, _ in
            let v = self.gate.auditor.verifier
            return Reply.json(.object(["origin": .string(self.gate.auditor.origin), "ed25519VerifierKey": .string(v.ed25519VerifierKey),
                                       "mldsa65PublicKey": v.mldsa65PublicKey.map { .string(Data($0).base64EncodedString()) } ?? .null]))
        }
    }

    /// An administrator or a security officer: an account administrator (R2) audits nothing.
    func auditor(_ req: Request) async throws -> Principal {
        let p = try await principal(req, admin: true)
        guard p.kind == .admin || p.kind == .security else { throw GuichetError.forbidden("this needs an administrator or a security officer") }
        return p
    }

    /// Audit: entries with inclusion proofs, consistency proofs, checkpoints on demand.
    func addAdminLedgerRoutes(_ r: RouteRecorder) {
        r.on(.post, "/admin/v1/ledger/checkpoints") { req, _ in
            try self.auth.requireStepUp(try await self.auditor(req))
            let note = try await self.gate.checkpoint(at: Date())
            return Response(status: .created, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: note)))
        }
        r.on(.get, "/admin/v1/ledger/entries/:index") { req, ctx in
            try self.auth.requireStepUp(try await self.auditor(req))
            guard let index = ctx.parameters.get("index").flatMap(Int64.init) else { throw GuichetError.invalid("'index' must be a whole number") }
            let size: Int64
            if let s = req.uri.queryParameters.get("size") {
                guard let n = Int64(s) else { throw GuichetError.invalid("'size' must be a whole number") }
                size = n
            } else {
                guard let latest = try await self.gate.auditor.latestCheckpoint() else { throw GuichetError.notFound }
                size = Int64(latest.checkpoint.size)
            }
            guard let (entry, proof) = try? await self.gate.auditor.inclusion(index: index, size: size) else { throw GuichetError.notFound }
            let object = (try? JSONDecoder().decode(JSON.self, from: entry)) ?? .null
            return Reply.json(.object(["index": .number(Double(index)), "treeSize": .number(Double(size)), "entry": object,
                                       "entryBytes": .string(entry.base64EncodedString()),
                                       "leafHash": .string(MerkleHash.leaf(entry).base64),
                                       "proof": .array(proof.hashes.map { .string($0.base64) })]))
        }
        r.on(.get, "/admin/v1/ledger/consistency") { req, _ in
            try self.auth.requireStepUp(try await self.auditor(req))
            guard let from = req.uri.queryParameters.get("from").flatMap(Int64.init), let to = req.uri.queryParameters.get("to").flatMap(Int64.init) else {
                throw GuichetError.invalid("give 'from' and 'to' tree sizes")
            }
            guard let proof = try? await self.gate.auditor.consistency(old: from, new: to) else { throw GuichetError.notFound }
            return Reply.json(.object(["from": .number(Double(from)), "to": .number(Double(to)), "proof": .array(proof.hashes.map { .string($0.base64) })]))
        }
    }
}
