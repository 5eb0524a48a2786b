import Crypto
import Foundation
import GRDB
import Testing
import GuichetCore
import GuichetGate
@_spi(VaultOnly) @testable import GuichetStore
import GuichetSynth
@testable import GuichetVault

/// Field-level envelope encryption: nothing personal in clear at rest.
@Suite struct VaultTests {
    struct Wycheproof: Decodable {
        struct Case: Decodable { let tcId: Int; let key: String; let iv: String; let aad: String; let msg: String; let ct: String; let tag: String; let result: String }
        let tests: [Case]
    }

    static func hex(_ s: String) -> Data {
        var out = Data()
        var i = s.startIndex
        while i < s.endIndex { let j = s.index(i, offsetBy: 2); out.append(UInt8(s[i..<j], radix: 16)!); i = j }
        return out
    }

    @Test("the stored forms do not change: a sealed map's bytes, the associated data of a field and of a wrapped key")
    func storedForms() throws {
        let map = SealedCodec.encode([.init(name: "lastName", encrypted: true, payload: Data([0xAA, 0xBB])),
                                      .init(name: "city", encrypted: false, payload: Data("tMontréal".utf8))])
        var expected = Data([0x01, 4]) + Data("city".utf8) + Data([0, 0, 0, 0, 10]) + Data("tMontréal".utf8)
        expected += Data([8]) + Data("lastName".utf8) + Data([1, 0, 0, 0, 2, 0xAA, 0xBB])
        #expect(map == expected, "format 1: entries sorted by name, each name, flag, 32-bit length, bytes")
        #expect(try SealedCodec.decode(map).map(\.name) == ["city", "lastName"])
        #expect(try SealedCodec.decode(map, where: { $0 == "lastName" }) == [.init(name: "lastName", encrypted: true, payload: Data([0xAA, 0xBB]))])
        #expect(Vault.fieldAAD("p1", "lastName") == Array("guichet-field\u{0}p1\u{0}lastName\u{0}dk1".utf8))
        #expect(Vault.wrapAAD("p1", 12) == Array("guichet-data-key\u{0}p1\u{0}kek12".utf8))
    }

    @Test("a text that begins with a combining mark, a joiner or a variation selector is read back as written (an API audit: such a value, accepted, was unreadable for good)")
    func textBeginningWithAMark() throws {
        for text in ["\u{0301}Ines", "\u{200D}Lou", "\u{200C}x", "\u{FE0F}a", "\u{1F3FB}b", "\u{0903}c", "", "t", "plain"] {
            let value = FieldValue.text(text)
            #expect(try ValueCodec.decode(ValueCodec.encode(value), type: nil) == value, "\(text.unicodeScalars.map(\.value))")
        }
        #expect(try ValueCodec.decode(ValueCodec.encode(.integer(-42)), type: nil) == .integer(-42))
        #expect(throws: VaultError.self) { _ = try ValueCodec.decode(Data([0x74, 0xFF]), type: nil) }
        #expect(throws: VaultError.self) { _ = try ValueCodec.decode(Data(), type: nil) }
    }

    @Test("the module's AES-256-GCM wrapper passes Wycheproof's AES-256 / 96-bit nonce vectors")
    func wycheproof() throws {
        let url = Repo.root.appendingPathComponent("Tests/GuichetTests/Vectors/wycheproof-aes256-gcm.json")
        let cases = try JSONDecoder().decode(Wycheproof.self, from: Data(contentsOf: url)).tests
        #expect(cases.count == 66)
        for c in cases {
            let key = SymmetricKey(data: Self.hex(c.key))
            let combined = Self.hex(c.iv) + Self.hex(c.ct) + Self.hex(c.tag)
            if c.result == "valid" {
                let sealed = try FieldCipher.seal(Self.hex(c.msg), key: key, aad: Self.hex(c.aad), nonce: try AES.GCM.Nonce(data: Self.hex(c.iv)))
                #expect(sealed == combined, "tcId \(c.tcId) encrypts as published")
                #expect(try FieldCipher.open(combined, key: key, aad: Self.hex(c.aad)) == Self.hex(c.msg), "tcId \(c.tcId)")
            } else {
                #expect(throws: VaultError.integrity, "tcId \(c.tcId) must be refused") { try FieldCipher.open(combined, key: key, aad: Self.hex(c.aad)) }
            }
        }
    }

    @Test("a key expanded once seals and opens as swift-crypto's AES.GCM does, both ways, and refuses any changed byte")
    func expandedKeyAgreesWithSwiftCrypto() throws {
        var rng = SystemRandomNumberGenerator()
        for size in [0, 1, 15, 16, 17, 64, 1_000] {
            let key = SymmetricKey(size: .bits256)
            let cipher = try GCMKey(key)
            let plain = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) })
            let aad = Data("guichet-field\0p\(size)\0name".utf8)
            // Sealed here, opened by AES.GCM.
            let mine = try cipher.seal(plain, aad: aad)
            #expect(mine.count == 12 + size + 16)
            #expect(try AES.GCM.open(try AES.GCM.SealedBox(combined: mine), using: key, authenticating: aad) == plain, "size \(size)")
            // Sealed by AES.GCM, opened here, with the same key object for several fields.
            let theirs = try AES.GCM.seal(plain, using: key, authenticating: aad).combined!
            #expect(try cipher.open(theirs, aad: aad) == plain, "size \(size)")
            #expect(try cipher.open(mine, aad: aad) == plain)
            // Any flipped byte (nonce, ciphertext or tag), other associated data, a cut, or another key: refused.
            for i in [0, 11, 12, mine.count - 1] where i < mine.count {
                var bad = mine
                bad[bad.startIndex + i] ^= 0x01
                #expect(throws: VaultError.integrity, "byte \(i) of \(size)") { try cipher.open(bad, aad: aad) }
            }
            #expect(throws: VaultError.integrity) { try cipher.open(mine, aad: aad + Data([0])) }
            #expect(throws: VaultError.integrity) { try cipher.open(mine.dropLast(), aad: aad) }
            #expect(throws: VaultError.integrity) { try GCMKey(SymmetricKey(size: .bits256)).open(mine, aad: aad) }
        }
        #expect(throws: VaultError.integrity) { try GCMKey(SymmetricKey(data: Data(repeating: 1, count: 11))).open(Data(count: 40), aad: Data()) }
        #expect(throws: VaultError.integrity) { try GCMKey(SymmetricKey(size: .bits128)) }
        // A slice that does not start at index 0 (a payload cut out of a sealed map) opens too.
        let key = SymmetricKey(size: .bits256)
        let sealed = try GCMKey(key).seal(Data("synthetic".utf8), aad: Data("a".utf8))
        let framed = (Data([9, 9, 9]) + sealed)[3...]
        #expect(try GCMKey(key).open(framed, aad: Data("a".utf8)) == Data("synthetic".utf8))
    }

    @Test("a batch's data keys (one KEK lookup and expansion) open as a key made alone does, each bound to its subject; a batch begun after a rotation wraps under the new version")
    func batchOfSubjectKeys() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("guichet.keys").path
        var set = KeySet.generate()
        try set.write(to: file)
        let vault = Vault(profile: try Repo.profile(), keys: try FileKeyProvider(path: file))
        let batch = try vault.subjectKeys()
        let made = try (0..<3).map { i in try batch.new(subject: "p\(i)") }
        let alone = try vault.newSubjectKey(subject: "q")
        #expect(made.allSatisfy { $0.1.kekVersion == 1 } && alone.1.kekVersion == 1)
        for (i, (key, wrapped)) in made.enumerated() {
            let opened = try vault.unwrap(wrapped, subject: "p\(i)")
            #expect(opened.key == key.key, "a batch's key does not unwrap to itself")
            #expect(throws: VaultError.integrity) { try vault.unwrap(wrapped, subject: "p\((i + 1) % 3)") }
        }
        #expect(Set(made.map { $0.1.bytes }).count == 3 && Set(made.map { $0.0.key.withUnsafeBytes { Data($0) } }).count == 3, "two keys or wraps alike")
        // Rotated while the batch runs: the batch keeps its version, the next one takes the new.
        #expect(set.rotate() == 2)
        try set.write(to: file)
        #expect(try batch.new(subject: "p9").1.kekVersion == 1)
        let next = try vault.subjectKeys().new(subject: "p10")
        #expect(next.1.kekVersion == 2)
        #expect(try vault.unwrap(next.1, subject: "p10").key == next.0.key)
    }

    @Test("after generating a registry, the database (SQLite's file and its WAL, or a dump of PostgreSQL's) holds none of the names, identifiers, e-mails or phones")
    func nothingPersonalInClearAtRest() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await Place05Generator(profile: world.profile, keys: world.keys, size: 150, today: LocalDate(year: 2026, month: 11, day: 23)!)
            .generate(into: world.store)
        // Collect every personal value through the gate (as an agent may), then scan the raw files.
        var values = Set<String>()
        var publicValues = Set<String>()
        for view in try await world.allApplications() {
            for person in view.persons { for v in person.fields.values { if case .text(let s) = v { values.insert(s) } else if case .date(let d) = v { values.insert(d.iso) } } }
            if case .text(let s)? = view.fields["specialNeeds"] { values.insert(s) }
            for (name, v) in view.fields where world.profile.dossierTypes["application"]?.field(name)?.classification == .public {
                switch v { case .date(let d): publicValues.insert(d.iso); case .text(let s): publicValues.insert(s); default: break }
            }
        }
        #expect(values.count > 500)
        for o in try await world.store.organisations(kind: nil) { publicValues.insert(o.name) }
        // A personal value that also stands inside a public one (a birth date equal to a wished
        // start date, a surname inside a town's name) cannot be told apart: leave those out.
        let ambiguous = values.filter { v in publicValues.contains { $0.contains(v) } }
        #expect(ambiguous.count < values.count / 10)
        values.subtract(ambiguous)
        let database = try world.database
        let bytes = try await database.storedBytes()
        #expect(bytes.count > 100_000)
        // PostgreSQL's dump writes a BYTEA as hexadecimal: `storedBytes` adds their bytes.
        func found(_ needle: String) -> Bool { bytes.containsBytes(Data(needle.utf8)) }
        // Sanity: the scan does find values that are public by the profile.
        #expect(publicValues.contains(where: found), "the scan finds clear public values, so it can find personal ones")
        // Ciphertexts, keys and base64 hold random bytes, where a 4-letter name turns up by
        // chance in about one run of twenty: a short value counts when it stands as a word
        // (a byte that is not a letter or digit on each side), as it would in clear text.
        func foundAsWord(_ needle: String) -> Bool {
            let n = Data(needle.utf8)
            var from = bytes.startIndex
            while let r = bytes.bytesRange(of: n, from: from) {
                let before = r.lowerBound > bytes.startIndex ? bytes[r.lowerBound - 1] : 0
                let after = r.upperBound < bytes.endIndex ? bytes[r.upperBound] : 0
                func isWordByte(_ b: UInt8) -> Bool { (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) || b >= 0x80 }
                if !isWordByte(before) && !isWordByte(after) { return true }
                from = r.lowerBound + 1
            }
            return false
        }
        let leaked = values.filter { $0.utf8.count >= 8 ? found($0) : $0.utf8.count >= 4 && foundAsWord($0) }
        #expect(leaked.isEmpty, "found in clear: \(leaked.count) values")
    }

    @Test("a flipped byte in a ciphertext gives an integrity error, never wrong data")
    func flippedByte() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let blob = try #require(try await world.store.persons([parent])[parent]).fields.bytes
        var tampered = blob
        tampered[tampered.count - 3] ^= 0x01
        let copy = tampered
        try await world.database.setBlob(table: "person", column: "fields", id: parent.rawValue, to: copy)
        await #expect(throws: GuichetError.unavailable("stored data failed an integrity check")) {
            try await world.gate.read(a.id, try await world.request("parent1"))
        }
    }

    @Test("a ciphertext moved to another person or to another field does not open")
    func movedCiphertext() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let p1 = try await world.registerParent("parent1")
        let p2 = try await world.registerParent("parent2", lastName: "Gagnon")
        let a2 = try await world.application(by: "parent2")
        // Another person's fields onto parent2.
        let other = try #require(try await world.store.persons([p1])[p1]).fields.bytes
        try await world.database.setBlob(table: "person", column: "fields", id: p2.rawValue, to: other)
        await #expect(throws: GuichetError.self) { try await world.gate.read(a2.id, try await world.request("parent2")) }

        // The same person's e-mail ciphertext renamed as the phone field.
        let vault = Vault(profile: world.profile, keys: world.keys)
        let record = try #require(try await world.store.persons([p1])[p1])
        var entries = try SealedCodec.decode(record.fields.bytes)
        let email = try #require(entries.first { $0.name == "email" })
        entries.removeAll { $0.name == "phone" }
        entries.append(.init(name: "phone", encrypted: true, payload: email.payload))
        let swapped = SealedFields(bytes: SealedCodec.encode(entries))
        #expect(throws: VaultError.integrity) {
            try vault.open(swapped, subject: p1.rawValue, wrapped: record.key, specs: world.profile.personFields, allowed: { $0 == "phone" })
        }
        #expect(throws: Never.self) {
            try vault.open(record.fields, subject: p1.rawValue, wrapped: record.key, specs: world.profile.personFields, allowed: { $0 == "phone" })
        }
    }

    @Test("search goes through blind indexes: the index holds no normalised value")
    func blindIndexes() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let terms = try await world.database.strings("SELECT term FROM person_term")
        #expect(!terms.isEmpty)
        #expect(!terms.contains { $0.contains("tremblay") || $0.contains("@") || $0.contains("TREJ") })
        #expect(terms.allSatisfy { $0.count == 20 }, "base64url of 15 bytes of an HMAC-SHA256")
    }

    /// The blind index of one person field's value, as stored before 3 December 2026: the
    /// whole HMAC-SHA256 under the index key, in base64url (43 characters), computed here
    /// without the vault.
    static func fullTag(_ world: World, field: String, value: String) throws -> String {
        let spec = try #require(world.profile.personField(field))
        let term = FieldValidation.term(try FieldValidation.value(.string(value), for: spec, path: field), type: spec.type)
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(field)\0\(term)".utf8), using: try world.keys.indexKey().key)
        return Base64URL.encode(Array(mac))
    }

    @Test("a blind index is the first 15 bytes of HMAC-SHA256 under the index key; a registry written with the 43-character tags finds its persons after the migration")
    func shortBlindIndexes() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let application = try await world.application(by: "parent1")
        let vault = Vault(profile: world.profile, keys: world.keys)
        let child = [("nam", "TREE25020399"), ("lastName", "Tremblay"), ("birthDate", "2025-02-03")]
        var old: [String] = []
        for (field, value) in child {
            let full = try Self.fullTag(world, field: field, value: value)
            let spec = try #require(world.profile.personField(field))
            let short = try vault.blindIndex(field: field, term: FieldValidation.term(try FieldValidation.value(.string(value), for: spec, path: field), type: spec.type))
            #expect(full.count == 43 && short.count == 20 && full.hasPrefix(short), "\(field): the tag is the stored one's prefix")
            old.append(full)
            // The registry as an earlier version wrote it.
            try await world.database.execute(sqlite: ["UPDATE person_term SET term = '\(full)' WHERE field = '\(field)' AND term = '\(short)'"],
                                             postgres: ["UPDATE person_term SET term = '\(full)' WHERE field = '\(field)' AND term = '\(short)'"])
        }
        // The child's birth year, kept for statistics by age band, as the same kind of tag.
        let yearMac = HMAC<SHA256>.authenticationCode(for: Data("\(PersonTerm.birthYearField)\u{0}2025".utf8), using: try world.keys.indexKey().key)
        let oldYear = Base64URL.encode(Array(yearMac)), year = try vault.birthYearTag(2025)
        #expect(oldYear.hasPrefix(year) && year.count == 20)
        try await world.database.execute(sqlite: ["UPDATE person_birth_year SET tag = '\(oldYear)' WHERE tag = '\(year)'"],
                                         postgres: ["UPDATE person_birth_year SET tag = '\(oldYear)' WHERE tag = '\(year)'"])
        #expect(try await world.database.strings("SELECT tag FROM person_birth_year WHERE length(tag) = 43") == [oldYear])
        let rewritten = try await world.database.strings("SELECT term FROM person_term WHERE length(term) = 43")
        #expect(Set(rewritten) == Set(old), "the three tags of the child were found and written back in the old form")
        let agent = try await world.request("agent", purpose: "family-request")
        let before = try await world.gate.search(type: "application", status: nil, criteria: ["child.nam": "TREE 2502 0399"], after: nil, limit: 10, agent)
        #expect(before.views.isEmpty, "old tags are not found by the new ones: the migration is what keeps them findable")

        // A server of this version opens it: the migration cuts the old tags, leaves the others.
        let untouched = try await world.database.strings("SELECT term FROM person_term WHERE length(term) = 20")
        try await world.database.execute(sqlite: ["DELETE FROM grdb_migrations WHERE identifier = 'v-short-terms'"],
                                         postgres: ["DELETE FROM guichet_migration WHERE name = 'store-v5-short-terms'"])
        _ = try await world.reopenedStore()
        let after = try await world.database.strings("SELECT term FROM person_term")
        #expect(after.allSatisfy { $0.count == 20 })
        #expect(Set(after) == Set(untouched + old.map { String($0.prefix(20)) }))
        let byNam = try await world.gate.search(type: "application", status: nil, criteria: ["child.nam": "TREE 2502 0399"], after: nil, limit: 10, agent)
        #expect(byNam.views.map(\.id) == [application.id])
        let byName = try await world.gate.search(type: "application", status: nil,
                                                 criteria: ["child.lastName": "TREMBLAY", "child.birthDate": "2025-02-03"], after: nil, limit: 10, agent)
        #expect(byName.views.map(\.id) == [application.id])
        #expect(try await world.database.strings("SELECT tag FROM person_birth_year WHERE length(tag) <> 20").isEmpty)
        #expect(try await world.database.strings("SELECT tag FROM person_birth_year").contains(year))
    }
}
