import Foundation
import Testing

/// The runner every test uses to start a program: it never hangs a run, whatever the program does.
@Suite struct ChildProcessTests {
    @Test("a program that never ends is killed at its time limit with all it started, and the error says what it printed")
    func timeLimit() async throws {
        // The shell starts children that never end by themselves; waiting for them would hang.
        let forever = "echo group $$; while :; do sleep 1; done"
        for blocking in [false, true] {
            do {
                _ = blocking ? try Child.runBlocking("/bin/sh", ["-c", forever], timeout: 1)
                             : try await Child.run("/bin/sh", ["-c", forever], timeout: 1)
                Issue.record("a program past its time limit was waited for")
            } catch let error as Child.TimedOut {
                let group = try #require(error.tail.split(separator: "\n").first { $0.hasPrefix("group ") }.flatMap { pid_t($0.dropFirst(6)) })
                #expect(try await Self.gone(group: group), "no process of the program's group is left running")
            }
        }
    }

    @Test("far more output than a pipe holds, on both streams, arrives whole")
    func largeOutput() async throws {
        let script = "head -c 300000 /dev/zero | tr '\\\\0' 'o'; head -c 300000 /dev/zero | tr '\\\\0' 'e' >&2; exit 3"
        let r = try await Child.run("/bin/sh", ["-c", script], timeout: 60)
        #expect(r.status == 3 && r.stdout.count == 300_000 && r.stderr.count == 300_000)
        let b = try Child.runBlocking("/bin/sh", ["-c", script], timeout: 60)
        #expect(b.status == 3 && b.stdout.count == 300_000 && b.stderr.count == 300_000)
    }

    @Test("standard input is given from data, or is empty")
    func input() async throws {
        #expect(try await Child.run("/bin/cat", [], input: Data("abc".utf8)).stdout == "abc")
        #expect(try await Child.run("/bin/cat", []).stdout == "")
    }

    @Test("a server that never prints its marker fails the wait in time; stop kills one that ignores SIGTERM")
    func server() async throws {
        let s = try ChildServer("/bin/sh", ["-c", "trap '' TERM; echo starting; sleep 60"])
        defer { s.cleanUp() }
        await #expect(throws: ChildServer.NotReady.self) { try await s.waitFor("Ready", timeout: 1) }
        #expect(!s.isRunning, "the wait kills it")
        let stubborn = try ChildServer("/bin/sh", ["-c", "trap '' TERM; echo Ready; while true; do sleep 1; done"])
        defer { stubborn.cleanUp() }
        try await stubborn.waitFor("Ready", timeout: 30)
        #expect(!Self.living(group: stubborn.spawned.pid).isEmpty, "the scan of /proc sees a running group")
        #expect(await stubborn.stop(grace: 1) == false)
        #expect(!stubborn.isRunning)
        #expect(try await Self.gone(group: stubborn.spawned.pid))
    }

    /// The processes of a process group that are not zombies (a killed grandchild may wait a
    /// while to be reaped by the container's first process), read from /proc.
    static func living(group: pid_t) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.compactMap { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "pid (name) ": state, ppid, pgrp.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[2] == "\(group)", fields[0] != "Z" else { return nil }
            return pid
        }
    }

    /// Whether the group has no living process within 10 s (a killed process may take a moment
    /// to end on a loaded machine).
    static func gone(group: pid_t) async throws -> Bool {
        for _ in 0..<100 {
            if living(group: group).isEmpty { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
