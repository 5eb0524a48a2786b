import GuichetMerkle
import Testing

@Suite("Checkpoint text (C2SP tlog-checkpoint)")
struct CheckpointTests {
    /// The example of the C2SP tlog-checkpoint specification.
    static let specExample = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

    @Test("The body is written exactly as in the specification's example")
    func bodyMatchesSpecification() throws {
        let checkpoint = try Checkpoint(
            origin: "example.com/behind-the-sofa",
            size: 20_852_163,
            rootHash: Hash(base64: "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
        )
        #expect(checkpoint.body == Self.specExample)
        #expect(try Checkpoint(body: Self.specExample) == checkpoint)
    }

    @Test("Checkpoints with extension lines, size 0 and the largest size round-trip")
    func roundTrip() throws {
        let root = RFC6962TestData.root(size: 8)
        for checkpoint in [
            try Checkpoint(origin: "guichet.example/ledger", size: 8, rootHash: root, extensions: ["x-ledger: r4", "second extension"]),
            try Checkpoint(origin: "guichet.example/ledger", size: 0, rootHash: MerkleHash.emptyRoot),
            try Checkpoint(origin: "origin with spaces and ünïcode", size: UInt64.max, rootHash: root),
        ] {
            #expect(try Checkpoint(body: checkpoint.body) == checkpoint)
        }
        let parsed = try Checkpoint(body: "o\n8\n\(root.base64)\nextension one\nextension two\n")
        #expect(parsed.extensions == ["extension one", "extension two"])
        #expect(parsed.size == 8)
        #expect(parsed.rootHash == root)
    }

    static let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="

    @Test("Malformed checkpoint bodies are rejected", arguments: [
        "",
        "\n",
        "example.com/log\n5\n",
        "example.com/log\n5\n\(root)",
        "example.com/log\n5\n\(root)\n\n",
        "\n5\n\(root)\n",
        "example.com/log\n\n\(root)\n",
        "example.com/log\n05\n\(root)\n",
        "example.com/log\n00\n\(root)\n",
        "example.com/log\n+5\n\(root)\n",
        "example.com/log\n-5\n\(root)\n",
        "example.com/log\n 5\n\(root)\n",
        "example.com/log\n5 \n\(root)\n",
        "example.com/log\n0x5\n\(root)\n",
        "example.com/log\n18446744073709551616\n\(root)\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n",
        "example.com/log\n5\n\(RFC6962TestData.rootsHex[0])\n",
        "example.com/log\n5\n\(root)\n\nextension after an empty line\n",
        "example.com/log\r\n5\r\n\(root)\r\n",
        "example.com/\tlog\n5\n\(root)\n",
        "example.com/log\n\(root)\n5\n",
        "5\nexample.com/log\n\(root)\n",
    ] as [Literal])
    func malformedBodies(_ body: Literal) {
        #expect(throws: MerkleError.invalidNote) { try Checkpoint(body: body.value) }
    }

    @Test("Checkpoints with unwritable fields cannot be built")
    func invalidFields() {
        let root = MerkleHash.emptyRoot
        for (origin, extensions) in [
            ("", []),
            ("two\nlines", []),
            ("tab\there", []),
            ("ok", [""]),
            ("ok", ["line\nbreak"]),
            ("ok", ["fine", "\u{1}"]),
        ] as [(String, [String])] {
            #expect(throws: MerkleError.invalidNoteText) {
                try Checkpoint(origin: origin, size: 0, rootHash: root, extensions: extensions)
            }
        }
    }
}
