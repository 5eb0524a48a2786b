import Hummingbird
import GuichetCore
import GuichetStore
import Logging
import Foundation
import HTTPTypes

/// Turns every error into an RFC 9457 problem details response, in one place. Unexpected
/// errors become a 500 whose text says nothing of the cause; the log keeps the error type only.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = GuichetContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            SecurityHeaders.apply(&response.headers)
            return response
        } catch let error as GuichetError {
            // Where credentials are checked (a password, a code, a passkey), a 401 means they
            // were not accepted, not that a token is missing.
            if error == .unauthenticated, request.method == .post, Problem.checksCredentials(request.uri.path) {
                var r = Problem.make(status: .unauthorized, title: "Credentials not accepted",
                                     detail: "the user name, password or code was not accepted: check them and try again")
                r.headers[.wwwAuthenticate] = "Bearer"
                return r
            }
            return Problem.response(request.uri.path.hasPrefix("/admin/") ? error.namingAdminPaths : error)
        } catch StoreError.unavailable(let code) {
            // Disk full, read-only or failing storage (#21 item 5): the transaction was rolled
            // back, so nothing was changed and nothing is returned; the client may retry.
            context.logger.error("the database refused or did not answer", metadata: ["error": .string(code)])
            return Problem.response(Problem.storageUnavailable(code))
        } catch let error as TooManyInFlight {
            var r = Problem.make(status: .tooManyRequests, title: "Too many requests at once",
                                 detail: "this \(error.scope) already has as many requests in progress as allowed; retry after \(error.retryAfterSeconds) s")
            r.headers[.retryAfter] = String(error.retryAfterSeconds)
            return r
        } catch let error as HTTPError {
            switch error.status {
            case .contentTooLarge: return Problem.response(.tooLarge(limit: JSONBody.limit))
            case .notFound: return Problem.response(.notFound)
            case .methodNotAllowed: return Problem.make(status: .methodNotAllowed, title: "Method not allowed", detail: "this path does not accept \(request.method.rawValue)")
            default: return Problem.make(status: error.status, title: error.status.reasonPhrase, detail: error.status.reasonPhrase)
            }
        } catch {
            context.logger.error("unexpected error", metadata: ["type": .string(String(describing: type(of: error)))])
            return Problem.make(status: .internalServerError, title: "Internal error", detail: "the request failed; nothing was returned")
        }
    }
}

extension GuichetError {
    /// The same error with the API paths it names (`POST /v1/session/totp`) as the admin
    /// listener serves them (`POST /admin/v1/session/totp`): the gate words its refusals for
    /// the public listener, and an administrator or security officer must be told the path
    /// that answers them.
    var namingAdminPaths: GuichetError {
        func adapt(_ m: String) -> String {
            var out = m
            for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                out = out.replacingOccurrences(of: method + " /v1/", with: method + " /admin/v1/")
            }
            return out
        }
        switch self {
        case .forbidden(let m): return .forbidden(adapt(m))
        case .invalid(let m): return .invalid(adapt(m))
        case .conflict(let m): return .conflict(adapt(m))
        case .unavailable(let m): return .unavailable(adapt(m))
        default: return self
        }
    }
}

/// Problem details (RFC 9457) responses.
enum Problem {
    /// What a client is told when the storage refused: a PostgreSQL that does not answer (a
    /// connection lost, none within the pool's deadline) is not a full disk, which an operator
    /// would go and look at (an operator's audit); PostgreSQL's "disk full" and "out of
    /// memory" (SQLSTATE class 53) and SQLite's refusals are.
    static func storageUnavailable(_ code: String) -> GuichetError {
        if code.contains("outcome is not known") {
            return .unavailable("the database stopped answering during the request: a change may or may not have been made; read it again before retrying")
        }
        if code.hasPrefix("PostgreSQL"), !code.hasPrefix("PostgreSQL SQLSTATE 53") {
            return .unavailable("the database does not answer now: nothing was changed; retry in a moment")
        }
        return .unavailable("the database cannot be written now (disk full or read-only storage): nothing was changed")
    }

    /// Routes that check a password, a code or a passkey (on either listener): sign-in and
    /// its second factors, a reset or activation code.
    static func checksCredentials(_ path: String) -> Bool {
        let p = path.hasPrefix("/admin") ? String(path.dropFirst("/admin".count)) : path
        return p == "/v1/session" || p.hasPrefix("/v1/session/") || p.hasPrefix("/v1/password-reset") || p.hasPrefix("/v1/activation")
    }

    static func response(_ e: GuichetError) -> Response {
        switch e {
        case .invalid(let m): return make(status: .badRequest, title: "Invalid request", detail: m)
        case .tooLarge(let l): return make(status: .contentTooLarge, title: "Request too large", detail: "the body is larger than \(l) bytes")
        case .unauthenticated:
            var r = make(status: .unauthorized, title: "Authentication required", detail: "sign in, then send the token as 'Authorization: Bearer <token>'")
            r.headers[.wwwAuthenticate] = "Bearer"
            return r
        case .notFound: return make(status: .notFound, title: "Not found", detail: "no such resource, or not visible to you")
        case .forbidden(let m): return make(status: .forbidden, title: "Forbidden", detail: m)
        case .conflict(let m): return make(status: .conflict, title: "Conflict", detail: m)
        case .throttled(let s):
            var r = make(status: .tooManyRequests, title: "Too many attempts", detail: "retry after \(s) seconds")
            r.headers[.retryAfter] = String(s)
            return r
        case .slowed(let s):
            var r = make(status: .tooManyRequests, title: "Slowed down",
                         detail: "this account is slowed down after unusual activity (the security officers are told): retry after \(s) seconds, or ask a security officer")
            r.headers[.retryAfter] = String(s)
            return r
        case .unavailable(let m): return make(status: .serviceUnavailable, title: "Unavailable", detail: m)
        }
    }

    static func make(status: HTTPResponse.Status, title: String, detail: String) -> Response {
        var response = Response(status: status, headers: [.contentType: "application/problem+json"],
                                body: .init(byteBuffer: ByteBuffer(bytes: body(status: status, title: title, detail: detail))))
        SecurityHeaders.apply(&response.headers)
        return response
    }

    /// The bytes of a problem document.
    static func body(status: HTTPResponse.Status, title: String, detail: String) -> Data {
        Reply.encode(.object(["type": .string("about:blank"), "title": .string(title),
                              "status": .number(Double(status.code)), "detail": .string(detail)]))
    }
}

/// Headers set on every response.
enum SecurityHeaders {
    static func apply(_ headers: inout HTTPFields) {
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        // A page sets its own (still strict) policy; everything else allows nothing.
        if headers[HTTPField.Name("Content-Security-Policy")!] == nil {
            headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; frame-ancestors 'none'"
        }
    }
}

/// JSON responses.
enum Reply {
    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: encode(value))))
    }

    /// A JSON value's bytes, keys sorted.
    static func encode(_ value: JSON) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSON value cannot fail: it has only plain JSON cases.
        return try! encoder.encode(value)
    }

    /// Bytes encoded once, served as JSON: the OpenAPI documents (80 KB built and encoded on
    /// every request, which a citizen's audit found at about 120 a second on two cores: ten
    /// anonymous clients made every other answer 15 to 50 times slower).
    static func json(encoded bytes: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func empty(_ status: HTTPResponse.Status = .noContent) -> Response {
        Response(status: status)
    }
}
