import Foundation
import Glibc

/// The lock a serving process holds on its data folder, for as long as it lives.
///
/// One `guichet serve` per data folder: a second one on the same SQLite file would keep its
/// own watch state, so a stolen account spread over both would get each role's ceiling twice,
/// and every ledger append of one would collide with the other's. The lock is an advisory
/// `flock` on `guichet.lock` in the folder; the kernel drops it when the process ends, however
/// it ends (`kill -9` included), so a crash never leaves a stale lock behind.
public final class ServeLock: Sendable {
    private let fd: Int32
    fileprivate init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}

extension Deployment {
    public static let lockName = "guichet.lock"
    var lockFile: String { folder.appendingPathComponent(Self.lockName).path }

    /// What the lock is taken for: the error names what to do about a holder.
    public enum LockPurpose: String, Sendable {
        case serving, restoring
        /// A bulk import (`guichet import --bulk`): its end moves the whole file into the
        /// registry in a few long transactions, which a server's journal would wait behind.
        case importing
    }

    /// Takes the folder's serving lock, and writes this process's id in the lock file.
    /// - Throws: ``DeploymentError`` naming the process that holds it, and what to do, when
    ///   another one does.
    public func lockForServing(_ purpose: LockPurpose = .serving) throws -> ServeLock {
        let fd = Glibc.open(lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DeploymentError("cannot open \(lockFile) (\(String(cString: strerror(errno)))): is the data folder writable by this user?")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = Self.holder(in: fd)
            close(fd)
            throw DeploymentError(Self.busy(folder.path, holder.pid, purpose, heldFor: holder.purpose))
        }
        let pid = "\(getpid())\n\(purpose.rawValue)\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        return ServeLock(fd: fd)
    }

    /// What `guichet import --bulk` holds until it ends: the folder's lock on SQLite, whose
    /// move of the stage is a few long transactions a server would wait behind; nil on
    /// PostgreSQL, which stores every batch directly.
    public func lockForBulkImport() throws -> ServeLock? {
        guard case .sqlite = try storeLocation() else { return nil }
        return try lockForServing(.importing)
    }

    static func busy(_ folder: String, _ pid: Int32?, _ purpose: LockPurpose, heldFor: LockPurpose? = nil) -> String {
        let process = pid.map { " (process \($0))" } ?? ""
        if heldFor == .importing {
            return "a bulk import (guichet import --bulk) is writing \(folder)\(process): wait for it to end, or stop it (it resumes where it stopped)"
        }
        let holder = "another guichet server is serving \(folder)\(process)"
        switch purpose {
        case .serving:
            return holder + ": one server per data folder (two would each keep their own watch, so each role's ceiling would count twice);"
                + " stop it first, or serve another folder with --data"
        case .restoring:
            return holder + "; stop it before restoring into this folder"
        case .importing:
            return holder + ": a bulk import ends by moving the whole file into the registry in a few long transactions, which would stall"
                + " the server's journal; stop the server first, or import without --bulk"
        }
    }

    /// The holder's process id, and what it holds the lock for (absent from the files of
    /// versions that wrote the id alone).
    private static func holder(in fd: Int32) -> (pid: Int32?, purpose: LockPurpose?) {
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 63, 0) }
        guard n > 0 else { return (nil, nil) }
        let lines = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return (lines.first.flatMap { Int32($0) }, lines.dropFirst().first.flatMap { LockPurpose(rawValue: $0) })
    }
}
