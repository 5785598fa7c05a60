import AuthCore
import Hummingbird

/// `/ui/device` (RFC 8628 §3.3): the page a person opens from their device's screen (its
/// `verification_uri`, or `verification_uri_complete` with the code in it). Signed out, it goes to
/// the sign-in page and comes back; signed in, the code's request is shown to allow or refuse.
extension HTTPFrontEnd {
    func addDeviceRoutes(to router: MethodTable, portal: PortalService) {
        router.get("/ui/device") { request, context in
            await portalAnswer {
                let typed = try query(request, ["user_code"])["user_code"] ?? ""
                let sso = cookie(request, Self.ssoCookie)
                guard let (_, user) = try await portal.session(cookie: sso) else {
                    let back = Self.devicePage(userCode: DeviceCode.normalized(typed))
                    return Self.seeOther("/ui/login?rd=" + URLEncoding.component(back))
                }
                guard !typed.isEmpty else { return html(.ok, PortalPages.enterDeviceCode(error: nil)) }
                do {
                    guard
                        let (asked, name) = try await portal.deviceRequest(
                            userCode: typed, cookie: sso, source: context.client)
                    else {
                        return Self.seeOther("/ui/login?rd=" + URLEncoding.component(Self.devicePage(userCode: nil)))
                    }
                    return try formPage(request, .ok) { csrf in
                        PortalPages.confirmDevice(csrf: csrf, request: asked, clientName: name, username: user.username)
                    }
                } catch let error as AuthError where error.code == .invalidCode {
                    return html(
                        .badRequest, PortalPages.enterDeviceCode(error: "That code is not valid, or it has expired."))
                }
            }
        }
        router.post("/ui/device") { request, _ in
            await portalAnswer {
                let form = try await form(request, ["csrf", "user_code", "decision"])
                try checkCSRF(request, form)
                let allow = form["decision"] == "allow"
                do {
                    try await portal.decideDevice(
                        userCode: form["user_code"] ?? "", allow: allow, cookie: cookie(request, Self.ssoCookie))
                } catch let error as AuthError where error.code == .invalidCode {
                    return html(
                        .badRequest, PortalPages.enterDeviceCode(error: "That code is not valid, or it has expired."))
                } catch let error as AuthError where error.code == .invalidCredentials {
                    return Self.seeOther("/ui/login?rd=" + URLEncoding.component(Self.devicePage(userCode: nil)))
                }
                return html(.ok, PortalPages.deviceDecided(allowed: allow))
            }
        }
    }

    /// The device page, with a well-formed code: the one place of the portal itself a sign-in
    /// may return to (`rd`), besides `oidc.return_hosts`.
    static func devicePage(userCode: String?) -> String {
        "/ui/device" + (userCode.map { "?user_code=" + $0 } ?? "")
    }

    /// `rd` naming the device page exactly (with a normalized code or none); nil for anything else.
    static func deviceReturn(_ rd: String) -> String? {
        if rd == devicePage(userCode: nil) { return rd }
        let prefix = devicePage(userCode: nil) + "?user_code="
        guard rd.hasPrefix(prefix), let code = DeviceCode.normalized(String(rd.dropFirst(prefix.count))),
            rd == devicePage(userCode: code)
        else { return nil }
        return rd
    }
}
