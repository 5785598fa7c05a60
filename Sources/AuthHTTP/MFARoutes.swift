import AuthCore
import Hummingbird
import QRCode

/// Multi-factor authentication (issue #8): the second login step and the user's own TOTP enrolment.
extension HTTPFrontEnd {
    func addMFARoutes(to router: MethodTable) {
        router.post("/login/mfa") { request, context in
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["mfa_token", "code"])
            return TokenResponse(
                try await service.completeLogin(
                    challenge: try body.string("mfa_token"), code: try body.string("code"), source: context.client,
                    userAgent: request.headers[.userAgent]))
        }
        router.post("/mfa/totp/setup") { request, _ in
            let setup = try await service.mfa.setup(accessToken: try bearerToken(request))
            return TOTPSetupResponse(secret: setup.secret, otpauthURI: setup.uri, qrSVG: QRCode(text: setup.uri)?.svg)
        }
        router.post("/mfa/totp/confirm") { request, context in
            let token = try bearerToken(request)
            let body = try await JSONBody.read(request, limit: configuration.maximumBodySize, allowedFields: ["code"])
            return RecoveryCodesResponse(
                recoveryCodes: try await service.mfa.confirm(
                    accessToken: token, code: try body.string("code"), source: context.client))
        }
        router.post("/mfa/totp/disable") { request, context in
            let token = try bearerToken(request)
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["code", "password"])
            try await service.mfa.disable(
                accessToken: token, code: try body.optionalString("code"),
                password: try body.optionalString("password"), source: context.client)
            return HTTPResponse.Status.noContent
        }
        router.post("/mfa/recovery-codes") { request, context in
            let token = try bearerToken(request)
            let body = try await JSONBody.read(
                request, limit: configuration.maximumBodySize, allowedFields: ["code", "password"])
            return RecoveryCodesResponse(
                recoveryCodes: try await service.mfa.regenerateRecoveryCodes(
                    accessToken: token, code: try body.optionalString("code"),
                    password: try body.optionalString("password"), source: context.client))
        }
    }
}
