import Foundation
import GuichetMerkle
import Testing

@Suite("Signed checkpoints (C2SP signed-note)")
struct SignedNoteTests {
    static let origin = "guichet.example/ledger"

    static func checkpoint(size: Int = 8) throws -> Checkpoint {
        try Checkpoint(origin: origin, size: UInt64(size), rootHash: RFC6962TestData.root(size: size))
    }

    /// The lines of a signed note, each without its newline.
    static func lines(_ note: String) -> [String] {
        note.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    static func join(_ lines: [String]) -> String {
        lines.joined(separator: "\n") + "\n"
    }

    @Test("A signed checkpoint carries an Ed25519 then an ML-DSA-65 line and verifies")
    func roundTrip() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        let checkpoint = try Self.checkpoint()
        let note = try signer.sign(checkpoint)
        let lines = Self.lines(note)
        #expect(lines.count == 6)
        #expect(lines[3] == "")
        #expect(lines[4].hasPrefix("\u{2014} \(Self.origin) "))
        #expect(lines[5].hasPrefix("\u{2014} \(Self.origin) "))
        let ed = try #require(Data(base64Encoded: String(lines[4].split(separator: " ")[2])))
        let ml = try #require(Data(base64Encoded: String(lines[5].split(separator: " ")[2])))
        #expect(ed.count == 4 + 64)
        #expect(ml.count == 4 + 3309)
        #expect(try signer.verifier.verifyCheckpoint(note, origin: Self.origin) == checkpoint)
        #expect(try signer.verifier.verify(note) == checkpoint.body)
    }

    @Test("Keys restored from their stored bytes sign and verify as the originals")
    func keysFromRawBytes() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        let edSeed = signer.ed25519Seed
        let mlSeed = try #require(signer.mldsa65Seed)
        #expect(edSeed.count == 32)
        #expect(mlSeed.count == 32)
        let restored = try NoteSigner(name: Self.origin, ed25519Seed: edSeed, mldsa65Seed: mlSeed)
        #expect(restored.verifier.ed25519PublicKey == signer.verifier.ed25519PublicKey)
        #expect(restored.verifier.mldsa65PublicKey == signer.verifier.mldsa65PublicKey)
        #expect(restored.verifier.ed25519KeyID == signer.verifier.ed25519KeyID)
        #expect(restored.verifier.mldsa65KeyID == signer.verifier.mldsa65KeyID)
        let verifier = try NoteVerifier(
            name: Self.origin,
            ed25519PublicKey: signer.verifier.ed25519PublicKey,
            mldsa65PublicKey: signer.verifier.mldsa65PublicKey
        )
        let note = try restored.sign(Self.checkpoint())
        #expect(try verifier.verifyCheckpoint(note, origin: Self.origin) == Self.checkpoint())
        #expect(try signer.verifier.verify(note) == Self.checkpoint().body)
    }

    @Test("Key IDs follow the documented hash of name, type and public key")
    func keyIDs() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        let verifier = signer.verifier
        #expect(verifier.ed25519KeyID == NoteSignatureType.ed25519.keyID(name: Self.origin, publicKey: verifier.ed25519PublicKey))
        let mlKey = try #require(verifier.mldsa65PublicKey)
        #expect(verifier.mldsa65KeyID == NoteSignatureType.mldsa65.keyID(name: Self.origin, publicKey: mlKey))
        #expect(NoteSignatureType.ed25519.identifier == [0x01])
        #expect(NoteSignatureType.mldsa65.identifier == [0xff] + Array("guichet.mldsa65.v1".utf8))
        #expect(mlKey.count == 1952)
    }

    @Test("Any change to the signed body is rejected")
    func modifiedBody() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        let note = Array(try signer.sign(Self.checkpoint()).utf8)
        let bodyLength = try Self.checkpoint().body.utf8.count
        for position in 0..<bodyLength where note[position] != UInt8(ascii: "\n") {
            var changed = note
            changed[position] = note[position] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(throws: MerkleError.invalidNote, "byte \(position)") {
                try signer.verifier.verify(String(decoding: changed, as: UTF8.self))
            }
        }
        var lines = Self.lines(String(decoding: note, as: UTF8.self))
        lines.insert("an extension line slipped in", at: 3)
        #expect(throws: MerkleError.invalidNote) { try signer.verifier.verify(Self.join(lines)) }
    }

    @Test("Reordered body lines are rejected; reordered signature lines are the same note")
    func reorderedLines() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        let checkpoint = try Checkpoint(
            origin: Self.origin, size: 8, rootHash: RFC6962TestData.root(size: 8), extensions: ["one", "two"]
        )
        let lines = Self.lines(try signer.sign(checkpoint))
        for (a, b) in [(0, 1), (1, 2), (0, 2), (3, 4), (2, 3)] {
            var swapped = lines
            swapped.swapAt(a, b)
            #expect(throws: MerkleError.invalidNote, "lines \(a) and \(b)") {
                try signer.verifier.verify(Self.join(swapped))
            }
        }
        // A signature line moved into the body.
        var moved = lines
        moved.swapAt(5, 6)
        #expect(throws: MerkleError.invalidNote) { try signer.verifier.verify(Self.join(moved)) }
        var sigsSwapped = lines
        sigsSwapped.swapAt(6, 7)
        #expect(try signer.verifier.verifyCheckpoint(Self.join(sigsSwapped), origin: Self.origin) == checkpoint)
    }

    @Test("Another key, another name or another origin is rejected")
    func wrongKeys() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        let note = try signer.sign(Self.checkpoint())
        let stranger = try NoteSigner.generate(name: Self.origin)
        #expect(throws: MerkleError.invalidNote) { try stranger.verifier.verify(note) }
        // Same Ed25519 key, unknown ML-DSA key: the ML-DSA line is not from a known key.
        let mixed = try NoteVerifier(
            name: Self.origin,
            ed25519PublicKey: signer.verifier.ed25519PublicKey,
            mldsa65PublicKey: stranger.verifier.mldsa65PublicKey
        )
        #expect(throws: MerkleError.invalidNote) { try mixed.verify(note) }
        let renamed = try NoteVerifier(
            name: "guichet.example/other",
            ed25519PublicKey: signer.verifier.ed25519PublicKey,
            mldsa65PublicKey: signer.verifier.mldsa65PublicKey
        )
        #expect(throws: MerkleError.invalidNote) { try renamed.verify(note) }
        #expect(throws: MerkleError.invalidNote) { try signer.verifier.verifyCheckpoint(note, origin: "guichet.example/other") }
    }

    @Test("A valid signature under another key name is not from the known key")
    func renamedSignatureLine() throws {
        let signer = try NoteSigner.generate(name: Self.origin, withMLDSA65: false)
        var lines = Self.lines(try signer.sign(Self.checkpoint()))
        // Same key ID and signature bytes, another name: C2SP signed-note says to ignore
        // lines that share only the ID with a known key, so no known signature remains.
        lines[4] = lines[4].replacingOccurrences(of: "\u{2014} \(Self.origin) ", with: "\u{2014} guichet.example/impostor ")
        #expect(throws: MerkleError.invalidNote) { try signer.verifier.verify(Self.join(lines)) }
    }

    @Test("Truncated or corrupted signatures are rejected")
    func truncatedSignatures() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        let lines = Self.lines(try signer.sign(Self.checkpoint()))
        for line in [4, 5] {
            let parts = lines[line].split(separator: " ").map(String.init)
            let raw = try #require(Data(base64Encoded: parts[2]))
            var variants = [
                String(parts[2].dropLast(4)),
                String(parts[2].dropLast()),
                Data(raw.dropLast()).base64EncodedString(),
                Data(raw.prefix(5)).base64EncodedString(),
                Data(raw.prefix(4)).base64EncodedString(),
                Data(raw + [0]).base64EncodedString(),
            ]
            for byte in [4, 5, raw.count / 2, raw.count - 1] {
                var flipped = Array(raw)
                flipped[byte] ^= 0x20
                variants.append(Data(flipped).base64EncodedString())
            }
            for variant in variants {
                var changed = lines
                changed[line] = "\(parts[0]) \(parts[1]) \(variant)"
                #expect(throws: MerkleError.invalidNote, "line \(line): \(variant.prefix(12))…") {
                    try signer.verifier.verify(Self.join(changed))
                }
            }
        }
    }

    @Test("A missing required signature line is rejected")
    func missingLines() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        let lines = Self.lines(try signer.sign(Self.checkpoint()))
        #expect(throws: MerkleError.invalidNote) { try signer.verifier.verify(Self.join(Array(lines.prefix(5)))) }
        #expect(throws: MerkleError.invalidNote) { try signer.verifier.verify(Self.join(Array(lines.prefix(4)) + [lines[5]])) }
        #expect(throws: MerkleError.invalidNote) { try signer.verifier.verify(Self.join(Array(lines.prefix(4)))) }
        // A verifier that knows only the Ed25519 key accepts the note without the ML-DSA line.
        let classical = try NoteVerifier(name: Self.origin, ed25519PublicKey: signer.verifier.ed25519PublicKey)
        #expect(try classical.verify(Self.join(Array(lines.prefix(5)))) == Self.checkpoint().body)
        #expect(try classical.verify(Self.join(lines)) == Self.checkpoint().body)
    }

    @Test("Unknown signature lines are ignored, a bad line from a known key is not")
    func otherSignatures() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        let witness = try NoteSigner.generate(name: "witness.example/w1", withMLDSA65: false)
        let note = try signer.sign(Self.checkpoint())
        let witnessLine = Self.lines(try witness.sign(Self.checkpoint()))[4]
        var lines = Self.lines(note)
        lines.append(witnessLine)
        #expect(try signer.verifier.verify(Self.join(lines)) == Self.checkpoint().body)
        #expect(try witness.verifier.verify(Self.join(lines)) == Self.checkpoint().body)
        // A second Ed25519 line from the known key that does not verify spoils the note.
        let otherNote = try signer.sign(text: "another text\n")
        lines.append(Self.lines(otherNote)[2])
        #expect(throws: MerkleError.invalidNote) { try signer.verifier.verify(Self.join(lines)) }
    }

    @Test("Oversized notes and notes with too many signatures are rejected")
    func limits() throws {
        let signer = try NoteSigner.generate(name: Self.origin, withMLDSA65: false)
        let note = try signer.sign(Self.checkpoint())
        let lines = Self.lines(note)
        let hundred = Array(lines.prefix(4)) + Array(repeating: lines[4], count: 100)
        #expect(try signer.verifier.verify(Self.join(hundred)) == Self.checkpoint().body)
        let tooMany = Array(lines.prefix(4)) + Array(repeating: lines[4], count: 101)
        #expect(throws: MerkleError.invalidNote) { try signer.verifier.verify(Self.join(tooMany)) }
        let huge = String(repeating: "x", count: 1 << 20) + "\n"
        let hugeNote = try signer.sign(text: huge)
        #expect(throws: MerkleError.invalidNote) { try signer.verifier.verify(hugeNote) }
    }

    @Test("Invalid note texts cannot be signed", arguments: ["", "no final newline", "\n\u{1}\n", "tab\there\n", "cr\r\n"] as [Literal])
    func invalidTexts(_ text: Literal) throws {
        let signer = try NoteSigner.generate(name: Self.origin, withMLDSA65: false)
        #expect(throws: MerkleError.invalidNoteText) { try signer.sign(text: text.value) }
    }

    @Test("Texts with empty lines sign and verify to the same text")
    func textsWithEmptyLines() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        for text in ["\n", "a\n\nb\n", "a\n\n", "poème\n\n\u{2014} not a signature\n"] {
            #expect(try signer.verifier.verify(signer.sign(text: text)) == text)
        }
    }

    @Test("Invalid key names and key bytes are refused", arguments: ["", "a b", "a+b", "a\tb", "a\u{3000}b", "a\u{a0}b", "a\nb"] as [Literal])
    func invalidNames(_ name: Literal) throws {
        #expect(throws: MerkleError.invalidKey) { try NoteSigner.generate(name: name.value, withMLDSA65: false) }
    }

    @Test("Keys of the wrong size are refused")
    func invalidKeyBytes() throws {
        let good = try NoteSigner.generate(name: Self.origin)
        #expect(throws: MerkleError.invalidKey) { try NoteSigner(name: Self.origin, ed25519Seed: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: MerkleError.invalidKey) {
            try NoteSigner(name: Self.origin, ed25519Seed: good.ed25519Seed, mldsa65Seed: [UInt8](repeating: 1, count: 64))
        }
        #expect(throws: MerkleError.invalidKey) {
            try NoteVerifier(name: Self.origin, ed25519PublicKey: Array(good.verifier.ed25519PublicKey.dropLast()))
        }
        let mlKey = try #require(good.verifier.mldsa65PublicKey)
        #expect(throws: MerkleError.invalidKey) {
            try NoteVerifier(name: Self.origin, ed25519PublicKey: good.verifier.ed25519PublicKey, mldsa65PublicKey: Array(mlKey.dropLast()))
        }
    }

    @Test("A signer prints without its keys")
    func redactedDescription() throws {
        let signer = try NoteSigner.generate(name: Self.origin)
        var dumped = ""
        dump(signer, to: &dumped)
        let printed = "\(signer) \(String(describing: signer)) \(String(reflecting: signer)) \(dumped)"
        #expect(printed.contains(Self.origin))
        let seeds = [signer.ed25519Seed, try #require(signer.mldsa65Seed)]
        for seed in seeds {
            #expect(!printed.contains(Data(seed).base64EncodedString()))
            #expect(!printed.contains(hexString(seed)))
            #expect(!printed.contains(seed.map(String.init).joined(separator: ", ")))
        }
    }
}
