import Crypto
import Foundation
import Testing
@testable import GuichetVault

/// The vault's nonces and data keys come from `RandomPool` (the kernel's generator read
/// 4 KiB at a time, issue 18): no byte may be handed out twice, and what it gives must look
/// random, across refills and from several threads at once.
@Suite struct RandomPoolTests {
    @Test("nonces and data keys drawn across many refills, from several tasks at once, never repeat")
    func neverRepeats() async throws {
        let perTask = 5_000
        let draws = try await withThrowingTaskGroup(of: [Data].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    // Nonces as the vault draws them: the first 12 bytes of a sealed value.
                    let cipher = try GCMKey(SymmetricKey(size: .bits256))
                    return try (0..<perTask).map { i in
                        i % 5 == 0 ? RandomPool.key256().withUnsafeBytes { Data($0) } : Data(try cipher.seal(Data(), aad: Data()).prefix(12))
                    }
                }
            }
            var all: [Data] = []
            for try await d in group { all += d }
            return all
        }
        #expect(draws.count == 4 * perTask)
        #expect(Set(draws).count == draws.count, "a nonce or key came out twice")
        #expect(draws.allSatisfy { $0.count == 12 || $0.count == 32 })
        // No 8-byte word repeats across all of them either (a buffer handed out twice, or a
        // refill that kept old bytes, would repeat whole words).
        var words = Set<UInt64>()
        var total = 0
        for d in draws {
            d.withUnsafeBytes { raw in
                for o in stride(from: 0, through: raw.count - 8, by: 8) { words.insert(raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)); total += 1 }
            }
        }
        #expect(words.count == total)
    }

    @Test("a draw larger than the buffer is filled whole, and the bytes are spread like random ones")
    func largeDrawsLookRandom() throws {
        var big = [UInt8](repeating: 0, count: 3 * RandomPool.capacity + 100)
        big.withUnsafeMutableBytes { RandomPool.fill($0) }
        var more = [UInt8](repeating: 0, count: 1 << 20)
        more.withUnsafeMutableBytes { RandomPool.fill($0) }
        #expect(big != [UInt8](repeating: 0, count: big.count))
        // Chi-square of the byte counts over 1 MiB: 255 degrees of freedom, so about 255 for
        // random bytes; above 400 has a probability far below one in a billion.
        var counts = [Int](repeating: 0, count: 256)
        for b in more { counts[Int(b)] += 1 }
        let expected = Double(more.count) / 256
        let chi = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chi < 400, "chi-square \(chi)")
        // The tail of the large draw is not zero-filled (each refill's bytes reach the caller).
        #expect(big.suffix(100) != [UInt8](repeating: 0, count: 100))
    }

    @Test("fields sealed with the pool's nonces open, and two seals of one value differ")
    func sealsOpen() throws {
        let key = RandomPool.key256()
        let a = try FieldCipher.seal(Data("synthetic".utf8), key: key, aad: Data("p\0name".utf8))
        let b = try FieldCipher.seal(Data("synthetic".utf8), key: key, aad: Data("p\0name".utf8))
        #expect(a != b && a.prefix(12) != b.prefix(12))
        #expect(try FieldCipher.open(a, key: key, aad: Data("p\0name".utf8)) == Data("synthetic".utf8))
        #expect(throws: VaultError.self) { try FieldCipher.open(a, key: RandomPool.key256(), aad: Data("p\0name".utf8)) }
    }
}
