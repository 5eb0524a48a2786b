import GuichetCore
import HTTPTypes
import Hummingbird

extension GuichetServer {
    /// Loads and checks the citizens' page (its resource files and every text in every
    /// language); `run` calls it before listening, so that a missing text stops the start-up.
    /// - Throws: ``PageError``.
    public static func checkPages() throws {
        _ = try CitizenPage.bundled.get()
        _ = try WebPages.bundled.get()
    }

    /// The page, or a 503 if it did not load (a server that started has checked it).
    static func citizenPage() throws -> CitizenPage {
        guard case .success(let page) = CitizenPage.bundled else { throw GuichetError.unavailable("the citizens' page is not available") }
        return page
    }

    /// The citizens' page and its two assets.
    func addCitizenPage(_ r: RouteRecorder) {
        r.on(.get, "/") { req, _ in
            let page = try Self.citizenPage()
            // The language chosen here (`?lang=`, then remembered), or on the /web pages (their cookie).
            let language = self.pageLanguage(req)
            let title = self.profile.title[language] ?? self.profile.name
            var response = CitizenPage.response(page.html(language: language, service: title), type: "text/html; charset=utf-8")
            if let l = req.uri.queryParameters.get("lang"), CitizenPage.languages.contains(l) {
                response.headers.append(HTTPField(name: .setCookie, value: Self.languageCookie(l)))
            }
            return response
        }
        r.on(.get, "/assets/citizen.js") { _, _ in CitizenPage.response(try Self.citizenPage().js, type: "text/javascript; charset=utf-8") }
        r.on(.get, "/assets/citizen.css") { _, _ in CitizenPage.response(try Self.citizenPage().css, type: "text/css; charset=utf-8") }
    }
}
