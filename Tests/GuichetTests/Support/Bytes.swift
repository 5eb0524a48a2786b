import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Data {
    /// Where `needle` first stands in these bytes, at or after `from`. The C library's `memchr`
    /// and `memcmp` (Glibc's module does not export `memmem`):
    /// Foundation's `range(of:)` compares byte by byte in a debug build, and the tests that scan
    /// a whole database's bytes for hundreds of personal values were a visible share of the
    /// suite's time.
    func bytesRange(of needle: Data, from: Data.Index? = nil) -> Range<Data.Index>? {
        let start = from ?? startIndex
        guard !needle.isEmpty, start >= startIndex, start < endIndex else { return nil }
        return withUnsafeBytes { (hay: UnsafeRawBufferPointer) -> Range<Data.Index>? in
            needle.withUnsafeBytes { (n: UnsafeRawBufferPointer) -> Range<Data.Index>? in
                guard let base = hay.baseAddress, let nb = n.baseAddress else { return nil }
                let first = Int32(n[0])
                var offset = start - startIndex
                while hay.count - offset >= n.count {
                    guard let p = memchr(base + offset, first, hay.count - offset - n.count + 1) else { return nil }
                    let candidate = base.distance(to: UnsafeRawPointer(p))
                    if memcmp(p, nb, n.count) == 0 { return (startIndex + candidate)..<(startIndex + candidate + n.count) }
                    offset = candidate + 1
                }
                return nil
            }
        }
    }

    /// Whether `needle` stands anywhere in these bytes.
    func containsBytes(_ needle: Data) -> Bool { bytesRange(of: needle) != nil }
}
