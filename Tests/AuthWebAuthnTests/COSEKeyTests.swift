import AuthCrypto
import AuthTestSupport
import AuthWebAuthn
import Testing

@Suite("COSE keys: the credential public keys authenticators send")
struct COSEKeyTests {
    static func cose(_ key: SigningKey) throws -> [Int64: CBOR] { try SoftAuthenticator.coseEntries(key) }

    static func map(_ entries: [Int64: CBOR]) -> CBOR {
        .map(Dictionary(uniqueKeysWithValues: entries.map { (CBOR.int($0.key), $0.value) }))
    }

    @Test(
        "ES256, EdDSA and RS256 keys read back as the same key: its signatures verify, its thumbprint matches",
        arguments: [JWSAlgorithm.es256, .edDSA, .rs256])
    func roundTrip(_ algorithm: JWSAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let encoded = Self.map(try Self.cose(key)).encoded
        let read = try COSEKey.publicKey(try CBOR(decoding: encoded))
        let thumbprint = try key.thumbprint()
        #expect(read.algorithm == algorithm && read.thumbprint == thumbprint)
        let message = Array("authenticator data and the client data hash".utf8)
        #expect(read.verify(try key.sign(message), of: message))
    }

    @Test(
        "refused: another algorithm, a type that is not the algorithm's, another curve, a missing or short coordinate, a private part"
    )
    func refused() throws {
        let ec = try Self.cose(try SigningKey.generate(.es256))
        let ed = try Self.cose(try SigningKey.generate(.edDSA))
        var cases: [[Int64: CBOR]] = []
        for (label, value) in [
            (3, CBOR.int(-35)), (3, .int(-65535)), (1, .int(1)), (-1, .int(2)), (-2, .bytes([1, 2, 3])),
            (-4, .bytes([UInt8](repeating: 1, count: 32))), (-3, .text("y")),
        ] as [(Int64, CBOR)] {
            var changed = ec
            changed[label] = value
            cases.append(changed)
        }
        var noY = ec
        noY[-3] = nil
        var noAlg = ec
        noAlg[3] = nil
        var edOnX25519 = ed
        edOnX25519[-1] = .int(4)
        cases += [noY, noAlg, edOnX25519]
        for entries in cases {
            #expect(throws: COSEKey.Refused.self, "\(entries)") { try COSEKey.publicKey(Self.map(entries)) }
        }
    }
}
