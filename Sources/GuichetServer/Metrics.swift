import Foundation
import GuichetCore
import GuichetStore
import HTTPTypes
import Hummingbird
import Synchronization

/// Request counters and latency per listener and status class, for Prometheus. Labels hold
/// no path, no identifier and no user: only the listener, the method and the status class.
final class HTTPMetrics: Sendable {
    struct Key: Hashable { let listener: String; let method: String; let status: String }
    struct Series { var count = 0; var seconds = 0.0; var buckets = [Int](repeating: 0, count: HTTPMetrics.bounds.count) }

    /// Latency histogram upper bounds, in seconds.
    static let bounds: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private let series = Mutex<[Key: Series]>([:])

    func record(listener: String, method: HTTPRequest.Method, status: Int, seconds: Double) {
        let known: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
        let key = Key(listener: listener, method: known.contains(method.rawValue) ? method.rawValue : "other", status: "\(status / 100)xx")
        series.withLock { all in
            var s = all[key] ?? Series()
            s.count += 1
            s.seconds += seconds
            for (i, bound) in Self.bounds.enumerated() where seconds <= bound { s.buckets[i] += 1 }
            all[key] = s
        }
    }

    var snapshot: [Key: Series] { series.withLock { $0 } }
}

/// Times every request of one listener, outermost, so that it sees the final status.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = GuichetContext
    let listener: String
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.record(listener: listener, method: request.method, status: response.status.code, seconds: seconds)
        return response
    }
}

/// The Prometheus text exposition (format 0.0.4).
enum PrometheusText {
    static func render(http: [HTTPMetrics.Key: HTTPMetrics.Series], gauges: StoreGauges, now: Date) -> String {
        var out: [String] = []
        func help(_ name: String, _ type: String, _ text: String) { out += ["# HELP \(name) \(text)", "# TYPE \(name) \(type)"] }
        func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }

        let keys = http.keys.sorted { ($0.listener, $0.method, $0.status) < ($1.listener, $1.method, $1.status) }
        help("guichet_http_requests_total", "counter", "HTTP requests answered, by listener, method and status class.")
        for k in keys {
            out.append(#"guichet_http_requests_total{listener="\#(k.listener)",method="\#(k.method)",status="\#(k.status)"} \#(http[k]!.count)"#)
        }
        help("guichet_http_request_duration_seconds", "histogram", "Time to answer an HTTP request.")
        for k in keys {
            let s = http[k]!
            let labels = #"listener="\#(k.listener)",method="\#(k.method)",status="\#(k.status)""#
            for (i, bound) in HTTPMetrics.bounds.enumerated() {
                out.append("guichet_http_request_duration_seconds_bucket{\(labels),le=\"\(number(bound))\"} \(s.buckets[i])")
            }
            out.append("guichet_http_request_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(s.count)")
            out.append("guichet_http_request_duration_seconds_sum{\(labels)} \(s.seconds)")
            out.append("guichet_http_request_duration_seconds_count{\(labels)} \(s.count)")
        }
        help("guichet_ledger_entries", "gauge", "Entries in the access ledger.")
        out.append("guichet_ledger_entries \(gauges.ledgerEntries)")
        help("guichet_ledger_checkpoint_size", "gauge", "Tree size of the latest signed checkpoint.")
        out.append("guichet_ledger_checkpoint_size \(gauges.latestCheckpointSize ?? 0)")
        help("guichet_ledger_unsigned_entries", "gauge", "Entries not yet covered by a signed checkpoint.")
        out.append("guichet_ledger_unsigned_entries \(gauges.ledgerEntries - (gauges.latestCheckpointSize ?? 0))")
        if let at = gauges.latestCheckpointAt {
            help("guichet_ledger_checkpoint_age_seconds", "gauge", "Seconds since the latest checkpoint was signed.")
            out.append("guichet_ledger_checkpoint_age_seconds \(number(max(0, now.timeIntervalSince(at)).rounded()))")
        }
        help("guichet_accounts", "gauge", "Accounts by status.")
        for status in Set(["active", "pending", "disabled"]).union(gauges.accountsByStatus.keys).sorted() {
            out.append(#"guichet_accounts{status="\#(status)"} \#(gauges.accountsByStatus[status] ?? 0)"#)
        }
        help("guichet_privileged_requests_pending", "gauge", "Privileged account creations or elevations awaiting a second approval.")
        out.append("guichet_privileged_requests_pending \(gauges.pendingPrivilegedRequests)")
        help("guichet_caseload_requests_pending", "gauge", "Caseload assignments and transfers awaiting a second administrator.")
        out.append("guichet_caseload_requests_pending \(gauges.pendingCaseloadRequests)")
        help("guichet_notices", "gauge", "E-mail notices transitions owe, by status (pending, sent, superseded, failed).")
        for status in ["pending", "sent", "superseded", "failed"] {
            out.append(#"guichet_notices{status="\#(status)"} \#(gauges.noticesByStatus[status] ?? 0)"#)
        }
        help("guichet_sign_in_locked_names", "gauge", "User names locked after repeated failed sign-ins.")
        out.append("guichet_sign_in_locked_names \(gauges.lockedSignInNames)")
        return out.joined(separator: "\n") + "\n"
    }
}

extension GuichetServer {
    /// `GET /metrics` on the admin listener (loopback): counts only, for Prometheus.
    func addMetricsRoute(_ r: RouteRecorder) {
        r.on(.get, "/metrics") { _, _ in
            let text = PrometheusText.render(http: self.metrics.snapshot, gauges: try await self.store.gauges(), now: Date())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
