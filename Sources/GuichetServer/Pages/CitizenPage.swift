import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The citizens' page (C15): sign in, then see who accessed your file, when, which fields and
/// why, each access checked in the browser against the ledger's signed checkpoint. Served
/// from memory (nothing on disk is served), in French or English, with a Content-Security
/// Policy that allows only this page's own script and style.
enum CitizenPage {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    /// The page's language: `?lang=` first, then the browser's preference, then the profile's.
    static func language(_ request: Request, default fallback: String) -> String {
        if let l = request.uri.queryParameters.get("lang"), ["fr", "en"].contains(l) { return l }
        if let accept = request.headers[.acceptLanguage] {
            for part in accept.split(separator: ",") {
                let tag = part.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased()
                if tag.hasPrefix("fr") { return "fr" }
                if tag.hasPrefix("en") { return "en" }
            }
        }
        return fallback
    }

    static func response(_ body: String, type: String) -> Response {
        var headers: HTTPFields = [.contentType: type]
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func html(language: String, title: String) -> String {
        let t = Texts.for(language)
        return """
        <!doctype html>
        <html lang="\(language)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(t["title"]!)) · \(escape(title))</title>
        <link rel="stylesheet" href="/assets/citizen.css">
        <script src="/assets/citizen.js" defer></script>
        </head>
        <body>
        <header>
          <p class="service">\(escape(title))</p>
          <nav><a href="/?lang=fr" hreflang="fr" lang="fr">Français</a> · <a href="/?lang=en" hreflang="en" lang="en">English</a></nav>
        </header>
        <main>
          <h1>\(escape(t["title"]!))</h1>
          <p>\(escape(t["intro"]!))</p>
          <noscript><p class="error">\(escape(t["noscript"]!))</p></noscript>
          <form id="sign-in" hidden>
            <h2>\(escape(t["signIn"]!))</h2>
            <label for="username">\(escape(t["username"]!))</label>
            <input id="username" name="username" autocomplete="username" required>
            <label for="password">\(escape(t["password"]!))</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit" id="sign-in-button">\(escape(t["signInButton"]!))</button>
            <p id="sign-in-error" class="error" role="alert" hidden></p>
          </form>
          <section id="history" hidden>
            <p><button type="button" id="sign-out">\(escape(t["signOut"]!))</button></p>
            <p id="summary" role="status"></p>
            <table>
              <caption>\(escape(t["caption"]!))</caption>
              <thead><tr><th scope="col">\(escape(t["when"]!))</th><th scope="col">\(escape(t["who"]!))</th><th scope="col">\(escape(t["what"]!))</th>
              <th scope="col">\(escape(t["fields"]!))</th><th scope="col">\(escape(t["why"]!))</th><th scope="col">\(escape(t["proof"]!))</th></tr></thead>
              <tbody id="accesses"></tbody>
            </table>
            <details><summary>\(escape(t["checkpoint"]!))</summary><pre id="checkpoint"></pre></details>
          </section>
        </main>
        <script type="application/json" id="texts">\(json(t))</script>
        </body>
        </html>
        """
    }

    /// The words as a JSON data block (not a script: the policy lets it through unexecuted);
    /// `<` is escaped so that nothing in it can close the element.
    static func json(_ texts: [String: String]) -> String {
        // Encoding a dictionary of strings cannot fail.
        let data = try! JSONSerialization.data(withJSONObject: texts, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// The page's words, in French and English.
enum Texts {
    static func `for`(_ language: String) -> [String: String] { language == "en" ? en : fr }

    static let fr: [String: String] = [
        "title": "Qui a consulté mon dossier ?",
        "intro": "Chaque consultation de vos données est inscrite dans un registre infalsifiable. Connectez-vous pour voir qui a consulté vos dossiers, quand, quelles informations et pourquoi. Votre navigateur vérifie lui-même chaque inscription.",
        "noscript": "Cette page a besoin de JavaScript pour vérifier le registre.",
        "signIn": "Connexion", "username": "Nom d'utilisateur", "password": "Mot de passe", "signInButton": "Se connecter",
        "signOut": "Se déconnecter", "signInFailed": "Nom d'utilisateur ou mot de passe incorrect.",
        "throttled": "Trop de tentatives : réessayez plus tard.", "notCitizen": "Cette page est réservée aux personnes inscrites.",
        "caption": "Consultations de vos dossiers, les plus récentes d'abord",
        "when": "Quand", "who": "Par qui", "what": "Action", "fields": "Informations", "why": "Motif", "proof": "Vérification",
        "you": "Vous-même", "none": "Aucune consultation pour l'instant.",
        "summary": "{n} consultation(s) ; registre signé à {size} inscriptions.",
        "verified": "✓ vérifiée", "notVerified": "✗ NON vérifiée", "pending": "en attente de la prochaine signature",
        "denied": "refusée", "checkpoint": "Signature du registre (point de contrôle)",
        "action.read": "consultation", "action.search": "recherche", "action.create": "création", "action.update": "modification",
        "action.withdraw": "retrait", "action.transition": "étape du dossier", "action.versions": "historique", "action.restore": "restauration",
    ]

    static let en: [String: String] = [
        "title": "Who looked at my file?",
        "intro": "Every access to your data is written into a tamper-evident ledger. Sign in to see who accessed your files, when, which information and why. Your browser checks each entry itself.",
        "noscript": "This page needs JavaScript to check the ledger.",
        "signIn": "Sign in", "username": "User name", "password": "Password", "signInButton": "Sign in",
        "signOut": "Sign out", "signInFailed": "Wrong user name or password.",
        "throttled": "Too many attempts: try again later.", "notCitizen": "This page is for registered people only.",
        "caption": "Accesses to your files, newest first",
        "when": "When", "who": "By whom", "what": "Action", "fields": "Information", "why": "Purpose", "proof": "Check",
        "you": "You", "none": "No access so far.",
        "summary": "{n} access(es); ledger signed at {size} entries.",
        "verified": "✓ verified", "notVerified": "✗ NOT verified", "pending": "waiting for the next signature",
        "denied": "refused", "checkpoint": "Ledger signature (checkpoint)",
        "action.read": "read", "action.search": "search", "action.create": "creation", "action.update": "change",
        "action.withdraw": "withdrawal", "action.transition": "workflow step", "action.versions": "history", "action.restore": "restore",
    ]
}
