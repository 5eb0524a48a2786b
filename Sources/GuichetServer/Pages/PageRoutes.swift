import GuichetCore
import Hummingbird

extension GuichetServer {
    /// The citizens' page and its two assets.
    func addCitizenPage(_ r: RouteRecorder) {
        r.on(.get, "/") { req, _ in
            let language = CitizenPage.language(req, default: self.profile.defaultLanguage)
            let title = self.profile.title[language] ?? self.profile.name
            return CitizenPage.response(CitizenPage.html(language: language, title: title), type: "text/html; charset=utf-8")
        }
        r.on(.get, "/assets/citizen.js") { _, _ in CitizenPage.response(CitizenAssets.js, type: "text/javascript; charset=utf-8") }
        r.on(.get, "/assets/citizen.css") { _, _ in CitizenPage.response(CitizenAssets.css, type: "text/css; charset=utf-8") }
    }
}
