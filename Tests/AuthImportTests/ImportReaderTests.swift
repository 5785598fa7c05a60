import AuthCore
import AuthImport
import Foundation
import Testing

/// The readers alone: what each format's rows become, and what is refused, with its line.
@Suite("import readers: CSV, JSON lines, htpasswd, shadow")
struct ImportReaderTests {
    static let bcrypt = "$2b$05$FtPS553zeVe.0pIQN5f4POiib8zjASgtJSr0zq0pWcfGhGFTvfYHS"

    @Test("CSV: a header in any order, quoted fields (commas, quotes, a line break), a BOM, CRLF, booleans, roles")
    func csv() throws {
        let text =
            "\u{FEFF}email,username,password_hash,roles,disabled,mfa\r\n"
            + "a@example.com,alice,\(Self.bcrypt),\"ops;dev\",true,no\r\n\r\n"
            + "\"b,\"\"x\"\"@example.com\",bob,\"line\nbreak\",,,1\n"
            + "c@example.com,carol,\(Self.bcrypt),,maybe,\n"
            + "d@example.com,dave,\"open\n"
        let items = try read(.csv, text)
        #expect(items.count == 4)
        let alice = try #require(try? items[0].get())
        #expect(
            alice
                == ImportRecord(
                    line: 2, username: "alice", email: "a@example.com", passwordHash: Self.bcrypt,
                    roles: ["ops", "dev"],
                    disabled: true, mfa: false))
        let bob = try #require(try? items[1].get())
        #expect(bob.line == 4 && bob.email == "b,\"x\"@example.com" && bob.passwordHash == "line\nbreak" && bob.mfa)
        #expect(notice(items[2])?.code == .malformedRow && notice(items[2])?.line == 6)
        #expect(notice(items[3])?.code == .malformedRow && notice(items[3])?.line == 7, "an unclosed quote at the end")
    }

    @Test(
        "CSV: a file without header, with an unknown or repeated column, or without a required one is refused whole",
        arguments: [
            "", "\n\n", "username,email,password_hash,shoe_size\n", "username,email\n",
            "username,email,password_hash,email\n", "username,\"email\n",
        ])
    func csvRefused(_ text: String) {
        #expect(throws: ImportFileError.self) { try read(.csv, text) }
    }

    @Test("CSV: a field count that does not match the header, stray quotes and invalid UTF-8 skip only their row")
    func csvRows() throws {
        var data = Data("username,email,password_hash\nalice,a@example.com\nbob,b\"@example.com,h\n".utf8)
        data += Data([0x63, 0x61, 0x72, 0xFF, 0x2C, 0x63, 0x2C, 0x68, 0x0A]) + Data("dave,d@example.com,h\n".utf8)
        let items = try read(.csv, data)
        #expect(items.map { notice($0)?.code } == [.malformedRow, .malformedRow, .malformedRow, nil])
        #expect(items.compactMap { notice($0)?.line } == [2, 3, 4])
    }

    @Test("JSON lines: optional fields, roles as a list or a string; unknown keys, wrong types, missing keys skipped")
    func jsonLines() throws {
        let lines = [
            #"{"username":"alice","email":"a@example.com","password_hash":"h","roles":["ops"],"disabled":true}"#,
            #"{"username":"bob","email":"b@example.com","password_hash":"h","roles":"ops, dev","mfa":true}"#,
            "",
            #"{"username":"carol","email":"c@example.com","password_hash":"h","admin":true}"#,
            #"{"username":"dave","email":"d@example.com","password_hash":"h","disabled":"yes"}"#,
            #"{"username":"erin","email":"e@example.com"}"#,
            #"["not", "an", "object"]"#,
            #"{"username":"frank","email":"f@example.com","password_hash":"h"}"#,
        ]
        let items = try read(.jsonl, lines.joined(separator: "\n"))
        #expect(try items[0].get().roles == ["ops"] && items[0].get().disabled)
        #expect(try items[1].get().roles == ["ops", "dev"] && items[1].get().mfa)
        #expect(items.map { notice($0)?.line } == [nil, nil, 4, 5, 6, 7, nil])
        #expect(notice(items[2])?.reason == "unknown key \"admin\"")
        #expect(try items[6].get().line == 8)
    }

    @Test("htpasswd: comments skipped, e-mail from the template, a locked (!) hash imported disabled, no hash refused")
    func htpasswd() throws {
        let text = "# made by htpasswd -B\nalice:\(Self.bcrypt)\nbob:!\(Self.bcrypt)\ncarol:\nbroken line\n"
        let items = try read(.htpasswd, text, options: .init(emailTemplate: "{username}@corp.example"))
        #expect(
            try items[0].get()
                == ImportRecord(
                    line: 2, username: "alice", email: "alice@corp.example",
                    passwordHash: Self.bcrypt))
        #expect(try items[1].get().disabled && items[1].get().passwordHash == Self.bcrypt)
        #expect(notice(items[2])?.code == .unknownHashFormat)
        #expect(notice(items[3])?.code == .malformedRow && notice(items[3])?.line == 5)
        #expect(throws: ImportFileError.self, "no template") { try read(.htpasswd, text) }
        #expect(throws: ImportFileError.self, "a template without {username}") {
            try read(.htpasswd, text, options: .init(emailTemplate: "all@corp.example"))
        }
    }

    @Test("shadow: only passwd's people (uid >= 1000, not nobody), locked accounts disabled, * and ! refused")
    func shadow() throws {
        let passwd = try temporary(
            "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n"
                + "bob:x:1001:1001::/home/bob:/bin/sh\ncarol:x:1002:1002::/home/carol:/bin/sh\n"
                + "nobody:x:65534:65534::/:/usr/sbin/nologin\n")
        let text =
            "root:$6$abc$def:19000:0:99999:7:::\nalice:\(Self.bcrypt):19000:0:99999:7:::\n"
            + "bob:!\(Self.bcrypt):19000:0:99999:7:::\ncarol:*:19000:0:99999:7:::\nnobody:*:19000::::::\n"
            + "mallory:\(Self.bcrypt):19000:0:99999:7:::\nshort:line\n"
        let items = try read(
            .shadow, text, options: .init(emailTemplate: "{username}@corp.example", passwdPath: passwd))
        #expect(items.count == 5)
        #expect(try items[0].get().username == "alice" && !items[0].get().disabled)
        #expect(try items[1].get().username == "bob" && items[1].get().disabled)
        #expect(notice(items[2])?.code == .unknownHashFormat && notice(items[2])?.username == "carol")
        #expect(notice(items[3])?.reason.hasPrefix("not in") == true)
        #expect(notice(items[4])?.line == 7)
    }

    @Test("a line longer than 64 KiB is skipped, reported once, and the next line reads normally")
    func longLine() throws {
        let long = #"{"username":""# + String(repeating: "a", count: 200_000) + "\"}"
        let items = try read(.jsonl, long + "\n" + #"{"username":"bob","email":"b@example.com","password_hash":"h"}"#)
        #expect(items.count == 2)
        #expect(notice(items[0])?.reason == "line longer than 64 KiB")
        #expect(try items[1].get().line == 2)
    }

    @Test("a file that does not exist is refused whole")
    func missing() {
        #expect(throws: ImportFileError.self) { try ImportSource.open(.csv, path: "/nonexistent/users.csv") }
        #expect(throws: ImportFileError.self) { try ImportSource.open(.flask, path: "/nonexistent/users.db") }
    }

    // MARK: Helpers

    private func read(_ format: ImportFormat, _ text: String, options: ImportSourceOptions = .init()) throws
        -> [ImportItem]
    {
        try read(format, Data(text.utf8), options: options)
    }

    private func read(_ format: ImportFormat, _ data: Data, options: ImportSourceOptions = .init()) throws
        -> [ImportItem]
    {
        Array(try ImportSource.open(format, path: try temporary(data), options: options))
    }

    private func notice(_ item: ImportItem) -> ImportNotice? {
        if case .failure(let notice) = item { return notice }
        return nil
    }
}

/// A file under the temporary directory holding `contents`; its path.
func temporary(_ contents: String) throws -> String { try temporary(Data(contents.utf8)) }

func temporary(_ contents: Data) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("authd-import-\(UUID().uuidString)").path
    try contents.write(to: URL(fileURLWithPath: path))
    return path
}
