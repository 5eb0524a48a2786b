import Hummingbird
import GuichetCore
import Foundation
import NIOCore

/// A request's body, collected within ``deadline``: a client that sends its body a byte every
/// few seconds (each byte resets the connection's idle time-out) is answered 400 and its
/// connection closed, rather than held open (a denial-of-service audit held 15,000 such
/// connections, and 738 MB with them).
enum RequestBodies {
    static let deadline: Duration = .seconds(20)

    /// - Throws: ``GuichetError/tooLarge(limit:)`` past `limit`; ``GuichetError/invalid(_:)``
    ///   when the body is not all there within ``deadline``.
    static func collect(_ request: Request, upTo limit: Int) async throws -> ByteBuffer {
        // A length declared past the limit is refused from the header, before a byte of the
        // body is waited for (an API audit: `Content-Length: 99999999999` went unanswered).
        if let declared = request.headers[.contentLength], let length = Int(declared), length > limit {
            throw GuichetError.tooLarge(limit: limit)
        }
        let body = request.body
        return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                do { return try await body.collect(upTo: limit) } catch is CancellationError { throw CancellationError() } catch {
                    throw GuichetError.tooLarge(limit: limit)
                }
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else {
                throw GuichetError.invalid("the request's body did not arrive within \(deadline.components.seconds) seconds")
            }
            return buffer
        }
    }
}

/// A strict JSON request body: size-limited, an object, and every key must be used; an
/// unknown key is refused rather than silently ignored.
struct JSONBody {
    /// The largest request body accepted (64 KiB: far above any legitimate dossier).
    static let limit = 64 * 1024

    private var object: [String: JSON]
    private var used = Set<String>()
    let path: String

    init(object: [String: JSON], path: String = "") { self.object = object; self.path = path }

    /// Reads and parses the body of a request.
    static func read(_ request: Request) async throws -> JSONBody {
        if let type = request.headers[.contentType], !isJSON(type) {
            throw GuichetError.invalid("send the body as application/json")
        }
        let buffer = try await RequestBodies.collect(request, upTo: limit)
        guard case .object(let object) = try JSONParser.parse(buffer.readableBytesView) else {
            throw GuichetError.invalid("the body must be a JSON object")
        }
        return JSONBody(object: object)
    }

    /// Whether a Content-Type is JSON in UTF-8: `application/json`, with no parameter but a
    /// UTF-8 charset (an API audit: `application/jsonx`, `application/json-patch+json` and
    /// `charset=latin1` were read as JSON).
    static func isJSON(_ contentType: String) -> Bool {
        let parts = contentType.lowercased().split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first == "application/json" else { return false }
        return parts.dropFirst().allSatisfy { $0 == "charset=utf-8" || $0 == "charset=\"utf-8\"" }
    }

    /// Reads the body of a request whose body is optional: none is an empty object.
    static func readIfAny(_ request: Request) async throws -> JSONBody {
        let buffer = try await RequestBodies.collect(request, upTo: limit)
        guard buffer.readableBytes > 0 else { return JSONBody(object: [:]) }
        if let type = request.headers[.contentType], !isJSON(type) {
            throw GuichetError.invalid("send the body as application/json")
        }
        guard case .object(let object) = try JSONParser.parse(buffer.readableBytesView) else {
            throw GuichetError.invalid("the body must be a JSON object")
        }
        return JSONBody(object: object)
    }

    /// The whole body, for readers that check their keys themselves.
    var json: JSON { .object(object) }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func optional(_ key: String) -> JSON? {
        used.insert(key)
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    mutating func required(_ key: String) throws -> JSON {
        guard let v = optional(key) else { throw GuichetError.invalid("'\(name(key))' is required") }
        return v
    }

    mutating func string(_ key: String) throws -> String {
        let v = try required(key)
        guard case .string(let s) = v else { throw GuichetError.invalid("'\(name(key))' must be text, not \(v.typeName)") }
        return s
    }

    mutating func optionalString(_ key: String) throws -> String? {
        guard let v = optional(key) else { return nil }
        guard case .string(let s) = v else { throw GuichetError.invalid("'\(name(key))' must be text, not \(v.typeName)") }
        return s
    }

    mutating func optionalInt(_ key: String) throws -> Int? {
        guard let v = optional(key) else { return nil }
        guard let i = v.integer else { throw GuichetError.invalid("'\(name(key))' must be a whole number") }
        return i
    }

    mutating func optionalObject(_ key: String) throws -> [String: JSON]? {
        guard let v = optional(key) else { return nil }
        guard case .object(let o) = v else { throw GuichetError.invalid("'\(name(key))' must be an object, not \(v.typeName)") }
        return o
    }

    mutating func optionalArray(_ key: String) throws -> [JSON]? {
        guard let v = optional(key) else { return nil }
        guard case .array(let a) = v else { throw GuichetError.invalid("'\(name(key))' must be a list, not \(v.typeName)") }
        return a
    }

    /// Refuses keys that no handler asked for.
    func finish() throws {
        if let unknown = object.keys.sorted().first(where: { !used.contains($0) }) {
            throw GuichetError.invalid("unknown field '\(GuichetError.echo(name(unknown)))'")
        }
    }

    static func identifier<T>(_ json: JSON, _ what: String) throws -> Identifier<T> {
        guard case .string(let s) = json, let id = Identifier<T>(validating: s) else {
            throw GuichetError.invalid("'\(what)' is not a valid identifier")
        }
        return id
    }
}

extension Parameters {
    /// A path parameter as an identifier; an invalid one is a 400 naming the parameter.
    func identifier<T>(_ name: String) throws -> Identifier<T> {
        guard let text = self.get(name), let id = Identifier<T>(validating: text) else {
            throw GuichetError.invalid("'\(name)' is not a valid identifier")
        }
        return id
    }
}
