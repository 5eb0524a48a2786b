/// A transparency log checkpoint: the note text that a log signs to commit to its tree
/// head (C2SP tlog-checkpoint, "Note text").
///
/// ```
/// guichet.example/ledger
/// 20852163
/// CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
/// ```
///
/// A checkpoint is only meaningful once its signature is verified: obtain one from a signed
/// note with ``NoteVerifier/verifyCheckpoint(_:origin:)``, not with ``init(body:)``.
public struct Checkpoint: Hashable, Sendable {
    /// The log's identity, first line (C2SP tlog-checkpoint: non-empty, recommended to be a
    /// schema-less URL such as `example.com/log42`).
    public let origin: String
    /// The tree size, second line, in ASCII decimal without leading zeros.
    public let size: UInt64
    /// The RFC 9162 root hash of the tree of ``size`` leaves, third line, in base64.
    public let rootHash: Hash
    /// Optional extension lines after the root hash; opaque and non-empty each. The C2SP
    /// specification does not recommend them: monitors cannot audit them.
    public let extensions: [String]

    /// Builds a checkpoint to sign.
    ///
    /// - Throws: ``MerkleError/invalidNoteText`` if the origin or an extension line is empty
    ///   or contains a newline or another control character.
    public init(origin: String, size: UInt64, rootHash: Hash, extensions: [String] = []) throws(MerkleError) {
        guard NoteText.isValidLine(origin), extensions.allSatisfy(NoteText.isValidLine) else {
            throw .invalidNoteText
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// Parses checkpoint note text (the text of a signed note, signatures excluded).
    ///
    /// - Warning: this checks the format only. Use
    ///   ``NoteVerifier/verifyCheckpoint(_:origin:)`` for a checkpoint from elsewhere.
    /// - Throws: ``MerkleError/invalidNote`` if the text is not exactly: an origin line, a
    ///   canonical decimal size, a canonical base64 32-byte root, then optional non-empty
    ///   extension lines, each line ending in a newline.
    public init(body: String) throws(MerkleError) {
        let bytes = Array(body.utf8)
        // C2SP tlog-checkpoint: at least three non-empty lines, each ending in U+000A.
        guard bytes.last == NoteText.newline,
            NoteText.hasNoControlCharacters(bytes, allowingNewlines: true)
        else { throw .invalidNote }
        let lines = bytes.dropLast().split(separator: NoteText.newline, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard lines.count >= 3, lines.allSatisfy({ !$0.isEmpty }) else { throw .invalidNote }
        guard let size = Checkpoint.parseSize(lines[1]) else { throw .invalidNote }
        let root: Hash
        do {
            root = try Hash(base64: lines[2])
        } catch {
            throw .invalidNote
        }
        self.origin = lines[0]
        self.size = size
        self.rootHash = root
        self.extensions = Array(lines.dropFirst(3))
    }

    /// The note text: origin, size, base64 root hash and extension lines, each followed by a
    /// newline (C2SP tlog-checkpoint, "Note text").
    public var body: String {
        var text = "\(origin)\n\(size)\n\(rootHash.base64)\n"
        for line in extensions {
            text += "\(line)\n"
        }
        return text
    }

    /// ASCII decimal, no sign, no leading zeros unless the size is 0 (C2SP tlog-checkpoint).
    static func parseSize(_ line: String) -> UInt64? {
        let digits = Array(line.utf8)
        guard !digits.isEmpty,
            digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            digits.count == 1 || digits[0] != UInt8(ascii: "0")
        else { return nil }
        return UInt64(line)  // nil on overflow
    }
}

/// Character rules shared by notes and checkpoints (C2SP signed-note, "Format").
enum NoteText {
    static let newline = UInt8(ascii: "\n")

    /// True if no byte is an ASCII control character (below U+0020), except newlines where
    /// allowed. Bytes of multi-byte UTF-8 sequences are all >= 0x80.
    static func hasNoControlCharacters(_ bytes: some Sequence<UInt8>, allowingNewlines: Bool) -> Bool {
        bytes.allSatisfy { byte in
            byte >= 0x20 || (allowingNewlines && byte == newline)
        }
    }

    /// A non-empty line without newline or control characters.
    static func isValidLine(_ line: String) -> Bool {
        !line.isEmpty && hasNoControlCharacters(line.utf8, allowingNewlines: false)
    }

    /// Valid note text: non-empty, ending in a newline, no other control characters
    /// (C2SP signed-note, "Format").
    static func isValidText(_ text: String) -> Bool {
        text.utf8.last == newline && hasNoControlCharacters(text.utf8, allowingNewlines: true)
    }

    /// A valid key name: non-empty, no Unicode space, no plus sign, no control character
    /// (C2SP signed-note, "Format").
    static func isValidKeyName(_ name: String) -> Bool {
        !name.isEmpty
            && hasNoControlCharacters(name.utf8, allowingNewlines: false)
            && name.unicodeScalars.allSatisfy { scalar in
                scalar != "+" && !scalar.properties.isWhitespace
            }
    }
}
