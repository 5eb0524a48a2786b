import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Every program a test starts goes through here: each run has a time limit after which the
/// program is killed and the test fails with what it printed; its output goes to files, never
/// to pipes, so no pipe can fill up and no inherited descriptor can keep a read waiting; and an
/// `async` caller never holds one of the two threads of the Swift concurrency pool while the
/// program works (a CI run hung for 90 minutes on such waits).
enum Child {
    struct Result: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Standard output then standard error, for messages and for callers that merged them.
        var output: String { stderr.isEmpty ? stdout : stdout + stderr }
    }

    /// The program did not end within its time limit; it was killed.
    struct TimedOut: Error, CustomStringConvertible {
        let command: String
        let seconds: Double
        let tail: String
        var description: String { "\(command) did not end within \(Int(seconds)) s and was killed; it printed: \(tail)" }
    }

    /// Runs a program to its end without blocking a thread of the concurrency pool.
    static func run(_ executable: String, _ arguments: [String], directory: URL? = nil,
                    environment: [String: String]? = nil, input: Data? = nil, timeout: Double = 300) async throws -> Result {
        let started = try Started(executable, arguments, directory: directory, environment: environment, input: input)
        defer { started.cleanUp() }
        // The time limit is kept by Dispatch, not by the concurrency pool, which busy tests can fill.
        let killer = DispatchWorkItem { started.kill(timedOut: true) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        defer { killer.cancel() }
        let status = await withTaskCancellationHandler {
            await started.exit()
        } onCancel: {
            started.kill(timedOut: false)
        }
        return try started.result(status: status, timeout: timeout)
    }

    /// The same, for synchronous callers (peers that compute offline: TOTP, WebAuthn, ledger
    /// checks). The wait is bounded by the time limit, so it can never hang a run.
    static func runBlocking(_ executable: String, _ arguments: [String], directory: URL? = nil,
                            environment: [String: String]? = nil, input: Data? = nil, timeout: Double = 300) throws -> Result {
        let started = try Started(executable, arguments, directory: directory, environment: environment, input: input)
        defer { started.cleanUp() }
        if let status = started.exitBlocking(timeout: timeout) { return try started.result(status: status, timeout: timeout) }
        started.kill(timedOut: true)
        return try started.result(status: started.exitBlocking(timeout: 10) ?? 137, timeout: timeout)
    }

    /// A started program, its output files, and how it ended.
    final class Started: Sendable {
        let spawned: Spawned
        let command: String
        let out: URL, err: URL
        private let timedOut = Mutex(false)

        init(_ executable: String, _ arguments: [String], directory: URL?, environment: [String: String]?, input: Data?) throws {
            command = ([URL(fileURLWithPath: executable).lastPathComponent] + arguments.prefix(2)).joined(separator: " ")
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("guichet-child-\(UUID().uuidString)")
            out = base.appendingPathExtension("out")
            err = base.appendingPathExtension("err")
            var inputPath = "/dev/null"
            if let input {
                inputPath = base.appendingPathExtension("in").path
                try input.write(to: URL(fileURLWithPath: inputPath))
            }
            defer { if input != nil { try? FileManager.default.removeItem(atPath: inputPath) } }
            spawned = try Spawned(executable, arguments, directory: directory, environment: environment,
                                  input: inputPath, output: out.path, errors: err.path)
        }

        /// Waits for the end without holding a thread.
        func exit() async -> Int32 {
            while true {
                if let status = spawned.status() { return status }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }

        /// Waits for the end, at most `timeout` seconds; nil when it is still running.
        func exitBlocking(timeout: Double) -> Int32? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let status = spawned.status() { return status }
                usleep(10_000)
            }
            return spawned.status()
        }

        /// Kills the program and everything it started.
        func kill(timedOut: Bool) {
            guard spawned.status() == nil else { return }
            if timedOut { self.timedOut.withLock { $0 = true } }
            spawned.killGroup()
        }

        func result(status: Int32, timeout: Double) throws -> Result {
            let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            if timedOut.withLock({ $0 }) {
                throw TimedOut(command: command, seconds: timeout, tail: String((stdout + stderr).suffix(2_000)))
            }
            return Result(status: status, stdout: stdout, stderr: stderr)
        }

        func cleanUp() {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
    }
}

/// A process started with posix_spawn, in a process group of its own, and waited for by its
/// process id. Foundation's `Process` is not used: on Linux it learns of the end from a socket
/// the child holds, which a grandchild inherits (a shell's `sleep`, a browser left behind by its
/// driver), so a killed program could look alive for as long as anything it started.
final class Spawned: Sendable {
    let pid: pid_t
    /// The exit status once reaped: the exit code, or 128 + the signal that ended it.
    private let ended = Mutex<Int32?>(nil)

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    /// glibc's extensions, which Swift's Glibc module does not import.
    nonisolated(unsafe) private static let library = dlopen(nil, RTLD_NOW)
    private static let closeFrom = dlsym(library, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }
    private static let changeDirectory = dlsym(library, "posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: ChangeDirectory.self) }

    struct SpawnFailed: Error, CustomStringConvertible {
        let executable: String
        let code: Int32
        var description: String { "cannot start \(executable): \(String(cString: strerror(code)))" }
    }

    /// Starts `executable`; standard input is read from the file `input`, output and errors
    /// are appended to their files (created when missing). No other descriptor is passed on.
    init(_ executable: String, _ arguments: [String], directory: URL?, environment: [String: String]?,
         input: String, output: String, errors: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        _ = Self.closeFrom?(&actions, 3)
        var arguments = arguments, executable = executable
        if let directory {
            if let change = Self.changeDirectory {
                _ = change(&actions, directory.path)
            } else {
                arguments = ["-c", "cd \"$0\" && exec \"$@\"", directory.path, executable] + arguments
                executable = "/bin/sh"
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envStrings = environment.map { $0.map { "\($0.key)=\($0.value)" } }
        let envp = envStrings.map { $0.map { strdup($0) } + [nil] }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let code = envp.map { env in posix_spawn(&pid, executable, &actions, &attributes, argv, env) }
            ?? posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard code == 0 else { throw SpawnFailed(executable: executable, code: code) }
        self.pid = pid
    }

    /// The exit status if the program has ended (it is reaped then), nil while it runs.
    func status() -> Int32? {
        ended.withLock { ended in
            if let ended { return ended }
            var raw: Int32 = 0
            guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
            let signal = raw & 0x7f
            ended = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return ended
        }
    }

    func signal(_ number: Int32) {
        if status() == nil { Glibc.kill(pid, number) }
    }

    /// SIGKILL to the program and to every process of its group, then waits for it (at once).
    func killGroup() {
        Glibc.kill(-pid, SIGKILL)
        Glibc.kill(pid, SIGKILL)
        let deadline = Date().addingTimeInterval(10)
        while status() == nil && Date() < deadline { usleep(5_000) }
        Glibc.kill(-pid, SIGKILL)  // a child forked while the first signal was on its way
    }
}

/// A program that serves while a test talks to it (`guichet demo`): its output goes to files
/// that the test reads as they grow; stopping it is bounded too.
final class ChildServer: Sendable {
    let spawned: Spawned
    let out: URL
    let err: URL
    private let log: URL?

    /// Starts the program; standard error goes to `log` (kept for the test to read) or a file
    /// of its own.
    init(_ executable: String, _ arguments: [String], directory: URL? = nil, log: URL? = nil) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("guichet-server-\(UUID().uuidString)")
        out = base.appendingPathExtension("out")
        err = log ?? base.appendingPathExtension("err")
        self.log = log
        spawned = try Spawned(executable, arguments, directory: directory, environment: nil,
                              input: "/dev/null", output: out.path, errors: err.path)
    }

    var isRunning: Bool { spawned.status() == nil }
    var terminationStatus: Int32? { spawned.status() }
    var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

    struct NotReady: Error, CustomStringConvertible {
        let marker: String
        let tail: String
        var description: String { "the server did not print \"\(marker)\" in time; it printed: \(tail)" }
    }

    /// Waits until standard output contains `marker`, polling without holding a thread.
    /// Returns the output so far; throws, after killing the program, when it ended or the time ran out.
    @discardableResult
    func waitFor(_ marker: String, timeout: Double = 180) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let text = stdout
            if text.contains(marker) { return text }
            if !isRunning || Date() > deadline {
                spawned.killGroup()
                throw NotReady(marker: marker, tail: String((text + stderr).suffix(2_000)))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Sends SIGTERM and waits up to `grace` seconds; kills it if it is still running then.
    /// Returns whether it ended by itself.
    @discardableResult
    func stop(grace: Double = 15) async -> Bool {
        guard isRunning else { return true }
        spawned.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if !isRunning { return true }
        spawned.killGroup()
        return false
    }

    /// Kills a server still running and removes its output files (not the log the test gave).
    func cleanUp() {
        if isRunning { spawned.killGroup() }
        try? FileManager.default.removeItem(at: out)
        if log == nil { try? FileManager.default.removeItem(at: err) }
    }
}
