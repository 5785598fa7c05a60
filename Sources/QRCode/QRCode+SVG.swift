extension QRCode {
    /// A standalone SVG: one path of unit squares for the dark modules, on white, with the
    /// four-module quiet zone scanners need. Scales to any size (`viewBox`, crisp edges).
    public var svg: String {
        let border = 4
        let side = size + 2 * border
        var path = ""
        for y in 0..<size {
            for x in 0..<size where self[x, y] {
                path += "M\(x + border),\(y + border)h1v1h-1z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/><path d="\(path)" fill="#000"/></svg>
            """
    }
}
