import AuthCrypto
public import AuthLineProtocol

extension LineRequest {
    /// `AUTH` for `service`'s stack; the password travels base64-encoded in `resp=`, the last field.
    public static func auth(
        service: String, user: String, otp: String? = nil, remoteAddress: String? = nil, password: [UInt8]
    ) -> LineRequest {
        var fields = ["service=\(service)", "user=\(user)"]
        if let otp { fields.append("otp=\(otp)") }
        if let remoteAddress { fields.append("rip=\(remoteAddress)") }
        fields.append("resp=\(Base64.standard.encode(password))")
        return LineRequest(command: "AUTH", id: "1", fields: fields)
    }
}
