public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Crypto
import GuichetCore
import JWTKit

/// A sign-in begun at `/oidc/NAME/start`: the browser is sent to `url`, and `binding` goes in
/// a short-lived cookie so that only this browser can finish it.
public struct StartedSignIn: Sendable {
    public let url: URL
    public let binding: String
}

/// A sign-in finished at `/oidc/NAME/callback`: who the provider vouches for, and whether its
/// `acr` counts as Guichet's second factor for staff.
public struct FederatedSignIn: Sendable {
    public let provider: String
    public let population: FederatedPopulation
    public let identity: VerifiedIdentity
    public let secondFactorByProvider: Bool
}

/// The relying party of Guichet's OpenID Connect providers (authorisation code flow with
/// PKCE, OpenID Connect Core 1.0 §3.1, RFC 7636 S256). The state, nonce and PKCE verifier of
/// each sign-in stay in this process's memory, for ``flowLifetime`` at most, and are taken
/// at the callback: a state works once. Discovery and the provider's keys are fetched at the
/// first sign-in (so that Guichet starts while a provider is down) and the keys again when a
/// token names a key not yet known.
public actor Federation {
    struct Flow {
        let provider: String
        let nonce: String
        let verifier: String
        let bindingHash: Data
        let at: Date
        let source: String?
    }
    struct Endpoints {
        let authorization: URL
        let token: URL
        let jwksURI: URL
        var jwks: JWKS
        var fetchedAt: Date
    }

    public let providers: [String: OIDCProvider]
    let clock: @Sendable () -> Date
    /// How long a begun sign-in may take.
    public let flowLifetime: TimeInterval
    /// At most this many sign-ins under way (the oldest goes first): memory stays bounded.
    public let maxFlows: Int
    /// At most this many sign-ins under way per source address, so that one address cannot
    /// push everyone else's out.
    public let maxFlowsPerSource: Int
    var flows: [String: Flow] = [:]
    var endpoints: [String: Endpoints] = [:]
    let session: URLSession

    public init(providers: [OIDCProvider], flowLifetime: TimeInterval = 600, maxFlows: Int = 10_000, maxFlowsPerSource: Int = 20,
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.providers = Dictionary(providers.map { ($0.name, $0) }) { a, _ in a }
        self.flowLifetime = flowLifetime; self.maxFlows = maxFlows; self.maxFlowsPerSource = maxFlowsPerSource; self.clock = clock
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 10
        config.timeoutIntervalForResource = 20
        self.session = URLSession(configuration: config)
    }

    static func random() -> String {
        var rng = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    static func hash(_ s: String) -> Data { Data(SHA256.hash(data: Data(s.utf8))) }

    /// Begins a sign-in with a provider.
    /// - Parameter source: the client's address, for ``maxFlowsPerSource``.
    /// - Throws: ``OIDCError/refused(_:)`` for an unknown provider; ``OIDCError/tooMany(retryAfterSeconds:)``
    ///   past ``maxFlowsPerSource``; ``OIDCError/provider(_:)`` when its discovery document cannot be had.
    public func start(provider name: String, source: String? = nil) async throws -> StartedSignIn {
        guard let provider = providers[name] else { throw OIDCError.refused("no such identity provider") }
        let ends = try await discovered(provider)
        let now = clock()
        flows = flows.filter { now.timeIntervalSince($0.value.at) < flowLifetime }
        if let source {
            let mine = flows.values.filter { $0.source == source }
            if mine.count >= maxFlowsPerSource, let oldest = mine.map(\.at).min() {
                throw OIDCError.tooMany(retryAfterSeconds: max(1, Int((flowLifetime - now.timeIntervalSince(oldest)).rounded(.up))))
            }
        }
        if flows.count >= maxFlows, let oldest = flows.min(by: { $0.value.at < $1.value.at })?.key { flows[oldest] = nil }
        let state = Self.random(), nonce = Self.random(), verifier = Self.random(), binding = Self.random()
        flows[state] = Flow(provider: name, nonce: nonce, verifier: verifier, bindingHash: Self.hash(binding), at: now, source: source)
        // RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))).
        let challenge = Base64URL.encode(Array(SHA256.hash(data: Data(verifier.utf8))))
        var c = URLComponents(url: ends.authorization, resolvingAgainstBaseURL: false)!  // a URL's own components
        var items = c.queryItems ?? []
        items += [URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: provider.settings.clientId),
                  URLQueryItem(name: "redirect_uri", value: provider.settings.redirectURI),
                  URLQueryItem(name: "scope", value: (["openid"] + (provider.settings.scopes ?? [])).joined(separator: " ")),
                  URLQueryItem(name: "state", value: state), URLQueryItem(name: "nonce", value: nonce),
                  URLQueryItem(name: "code_challenge", value: challenge), URLQueryItem(name: "code_challenge_method", value: "S256")]
        if let acr = provider.settings.acrValues { items.append(URLQueryItem(name: "acr_values", value: acr)) }
        c.queryItems = items
        guard let url = c.url else { throw OIDCError.provider("the authorization endpoint is not a usable URL") }
        return StartedSignIn(url: url, binding: binding)
    }

    /// Finishes a sign-in: takes its state (once), exchanges the code with the PKCE verifier
    /// and the client secret, and verifies the ID token.
    /// - Parameter binding: the value of the browser's sign-in cookie.
    /// - Throws: ``OIDCError/refused(_:)`` for an unknown, used, expired or foreign state, an
    ///   error from the provider, a code it will not exchange, or an ID token that fails a
    ///   check; ``OIDCError/provider(_:)`` when the provider cannot be reached.
    public func finish(provider name: String, state: String, code: String?, error: String?, binding: String?) async throws -> FederatedSignIn {
        guard let provider = providers[name] else { throw OIDCError.refused("no such identity provider") }
        // The state is taken whatever follows: a state works once.
        guard let flow = flows.removeValue(forKey: state) else { throw OIDCError.refused("unknown or already used state") }
        guard flow.provider == name, clock().timeIntervalSince(flow.at) < flowLifetime else { throw OIDCError.refused("unknown or already used state") }
        guard let binding, Self.hash(binding) == flow.bindingHash else {
            throw OIDCError.refused("this sign-in was begun in another browser")
        }
        if error != nil { throw OIDCError.refused("the identity provider did not sign you in") }
        guard let code, !code.isEmpty, code.utf8.count <= 2048 else { throw OIDCError.refused("no authorization code") }
        let ends = try await discovered(provider)
        let idToken = try await exchange(code: code, verifier: flow.verifier, provider: provider, endpoint: ends.token)
        var verifier = IDTokenVerifier(issuer: provider.settings.issuer, clientId: provider.settings.clientId, jwks: ends.jwks)
        let identity: VerifiedIdentity
        do {
            identity = try await verifier.verify(idToken, nonce: flow.nonce, now: clock())
        } catch OIDCError.refused(let why) where why == "no key of the provider matches the ID token" {
            // The provider may have rotated its keys: fetch them once more, then try again.
            verifier = IDTokenVerifier(issuer: provider.settings.issuer, clientId: provider.settings.clientId,
                                       jwks: try await refreshKeys(provider))
            identity = try await verifier.verify(idToken, nonce: flow.nonce, now: clock())
        }
        let trusted = provider.population == .staff && provider.trusts(acr: identity.acr, amr: identity.amr)
        return FederatedSignIn(provider: name, population: provider.population, identity: identity, secondFactorByProvider: trusted)
    }

    /// The token endpoint call (OpenID Connect Core §3.1.3.1, RFC 7636 §4.5), client_secret_basic.
    func exchange(code: String, verifier: String, provider: OIDCProvider, endpoint: URL) async throws -> String {
        var request = URLRequest(url: endpoint)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        // RFC 6749 §2.3.1: client id and secret form-encoded, then Basic.
        let basic = Data("\(Self.formEncode(provider.settings.clientId)):\(Self.formEncode(provider.secret.value))".utf8).base64EncodedString()
        request.setValue("Basic \(basic)", forHTTPHeaderField: "Authorization")
        let form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", provider.settings.redirectURI),
                    ("code_verifier", verifier), ("client_id", provider.settings.clientId)]
        request.httpBody = Data(form.map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&").utf8)
        let (data, status) = try await fetch(request)
        guard status == 200 else { throw OIDCError.refused("the identity provider would not exchange the code (HTTP \(status))") }
        guard case .object(let body)? = try? JSONParser.parse(data), case .string(let idToken)? = body["id_token"] else {
            throw OIDCError.refused("the identity provider's token answer has no ID token")
        }
        return idToken
    }

    static func formEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    func fetch(_ request: URLRequest) async throws -> (Data, Int) {
        // Never cancelled while in flight (FoundationNetworking on Linux can deadlock when a
        // task is cancelled inside data(for:)); the session's timeouts bound it instead.
        do {
            let (data, response) = try await session.data(for: request)
            return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
        } catch {
            throw OIDCError.provider("it cannot be reached")
        }
    }

    func getJSON(_ url: URL) async throws -> [String: JSON] {
        let (data, status) = try await fetch(URLRequest(url: url))
        guard status == 200, case .object(let o)? = try? JSONParser.parse(data) else {
            throw OIDCError.provider("\(url.path) answered HTTP \(status) or no JSON object")
        }
        return o
    }

    /// The provider's endpoints and keys (OpenID Connect Discovery 1.0 §4), fetched once.
    func discovered(_ provider: OIDCProvider) async throws -> Endpoints {
        if let e = endpoints[provider.name] { return e }
        let base = provider.settings.issuer.hasSuffix("/") ? String(provider.settings.issuer.dropLast()) : provider.settings.issuer
        guard let url = URL(string: base + "/.well-known/openid-configuration") else { throw OIDCError.provider("bad issuer") }
        let doc = try await getJSON(url)
        // Discovery §4.3: the issuer in the document must be the one configured.
        guard case .string(let issuer)? = doc["issuer"], issuer == provider.settings.issuer else {
            throw OIDCError.provider("its discovery document names another issuer")
        }
        func endpoint(_ key: String) throws -> URL {
            guard case .string(let s)? = doc[key], let u = URL(string: s), OIDCProviderSettings.acceptable(u) else {
                throw OIDCError.provider("its discovery document has no usable \(key)")
            }
            return u
        }
        let jwksURI = try endpoint("jwks_uri")
        let e = Endpoints(authorization: try endpoint("authorization_endpoint"), token: try endpoint("token_endpoint"),
                          jwksURI: jwksURI, jwks: try await keys(jwksURI), fetchedAt: clock())
        endpoints[provider.name] = e
        return e
    }

    func keys(_ url: URL) async throws -> JWKS {
        let (data, status) = try await fetch(URLRequest(url: url))
        guard status == 200, let jwks = try? JSONDecoder().decode(JWKS.self, from: data) else {
            throw OIDCError.provider("its keys (JWKS) cannot be read")
        }
        return jwks
    }

    /// Fetches the keys again, at most once a minute per provider.
    func refreshKeys(_ provider: OIDCProvider) async throws -> JWKS {
        guard var e = endpoints[provider.name] else { return try await discovered(provider).jwks }
        guard clock().timeIntervalSince(e.fetchedAt) > 60 else { return e.jwks }
        e.jwks = try await keys(e.jwksURI)
        e.fetchedAt = clock()
        endpoints[provider.name] = e
        return e.jwks
    }
}
