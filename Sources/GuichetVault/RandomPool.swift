import Crypto
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Random bytes for the vault's nonces and data keys, read from the kernel's generator 4 KiB
/// at a time. swift-crypto draws a nonce or a key through `SystemRandomNumberGenerator`, one
/// `getrandom` system call per 8 bytes: two per sealed field, four per data key, about a
/// sixth of sealing's CPU in a bulk import (issue 18). The bytes come from the same kernel
/// generator; each is handed out once, and the part of the buffer handed out is zeroed.
enum RandomPool {
    static let capacity = 4_096
    private static let state = Mutex<(buffer: [UInt8], next: Int)>(([UInt8](repeating: 0, count: capacity), capacity))
    /// /dev/urandom, opened once; -1 where it cannot be (then 8 bytes per system call, as before).
    private static let device: Int32 = {
        // getrandom(2) waits until the kernel's generator is seeded; /dev/urandom does not on
        // old kernels, so one draw through it first makes every later read a seeded one.
        var rng = SystemRandomNumberGenerator()
        _ = rng.next()
        #if canImport(Glibc)
        return open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        #else
        return -1
        #endif
    }()

    /// Fills `out` with random bytes.
    static func fill(_ out: UnsafeMutableRawBufferPointer) {
        guard !out.isEmpty else { return }
        state.withLock { s in
            var done = 0
            while done < out.count {
                if s.next == s.buffer.count { refill(&s.buffer); s.next = 0 }
                let n = min(out.count - done, s.buffer.count - s.next)
                let from = s.next
                s.buffer.withUnsafeMutableBytes { b in
                    (out.baseAddress! + done).copyMemory(from: b.baseAddress! + from, byteCount: n)
                    (b.baseAddress! + from).initializeMemory(as: UInt8.self, repeating: 0, count: n)
                }
                s.next += n
                done += n
            }
        }
    }

    /// A fresh 256-bit key; the temporary copy of its bytes is zeroed.
    static func key256() -> SymmetricKey {
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { raw in
            fill(raw)
            defer { raw.initializeMemory(as: UInt8.self, repeating: 0) }
            return SymmetricKey(data: UnsafeRawBufferPointer(raw))
        }
    }

    private static func refill(_ buffer: inout [UInt8]) {
        buffer.withUnsafeMutableBytes { b in
            var filled = 0
            #if canImport(Glibc)
            if device >= 0 {
                while filled < b.count {
                    let n = read(device, b.baseAddress! + filled, b.count - filled)
                    if n > 0 { filled += n } else if n < 0 && errno == EINTR { continue } else { break }
                }
            }
            #endif
            // Without the device, or if a read failed: the system generator, 8 bytes a call
            // (it stops the process itself if the kernel gives nothing: fail closed).
            var rng = SystemRandomNumberGenerator()
            while filled < b.count {
                var word = rng.next()
                let n = min(8, b.count - filled)
                withUnsafeBytes(of: &word) { (b.baseAddress! + filled).copyMemory(from: $0.baseAddress!, byteCount: n) }
                filled += n
            }
        }
    }
}
