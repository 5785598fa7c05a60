import AuthCore

/// The device page (RFC 8628 §3.3): enter the code a device shows, then allow or refuse it.
extension PortalPages {
    /// The form for the code, sent back to this page by GET (nothing changes until the answer).
    static func enterDeviceCode(error: String?) -> String {
        page(
            title: "Connect a device",
            """
            \(alert(error))
            <p>Enter the code your device shows.</p>
            <form method="get" action="/ui/device">
            <label for="user_code">Code</label>
            <input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="BCDF-GHJK" required autofocus>
            <button type="submit">Continue</button>
            </form>
            """)
    }

    /// What the device asks for, with its code shown again so the person can compare it with the
    /// device's screen.
    static func confirmDevice(csrf: String, request: DeviceRequest, clientName: String, username: String) -> String {
        page(
            title: "Allow this device?",
            """
            <p>A device running <strong>\(escape(clientName))</strong> shows the code
            <strong class="code">\(escape(DeviceCode.display(request.userCode)))</strong>. It asks to:</p>
            <ul class="scopes">
            \(scopeItems(request.scopes))
            </ul>
            <p class="small">Signed in as <strong>\(escape(username))</strong>. Allow it only if you started this on a device of your own and its screen shows this code.</p>
            <form method="post" action="/ui/device" class="choices">
            \(hidden(csrf: csrf, pending: nil, extra: [("user_code", request.userCode)]))
            <button type="submit" name="decision" value="allow">Allow</button>
            <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
            </form>
            """)
    }

    static func deviceDecided(allowed: Bool) -> String {
        page(
            title: allowed ? "Device connected" : "Device refused",
            allowed
                ? "<p>Your device is signed in. You can close this window and go back to it.</p>"
                : "<p>The device was not allowed. You can close this window.</p>")
    }
}
