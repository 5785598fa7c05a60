/// Password hashes made by other systems' tools, not by authd's code: werkzeug's layouts computed
/// with Python's `hashlib.pbkdf2_hmac` and `hashlib.scrypt`; `mkpasswd` (Debian's whois) for
/// yescrypt and sha-crypt, `htpasswd -B` and PyPI `bcrypt` for bcrypt, PyPI `argon2-cffi` for argon2.
public enum ImportedHashVectors {
    /// Of "correct horse battery".
    public static let werkzeug = [
        "pbkdf2:sha1:1000$NaCl4salt$f8a5b39e145bcb11ed34d1bde6af4f59e205998b",
        "pbkdf2:sha256:1000$NaCl4salt$7209ce2ea3c9c41e49d53858c54c309a768c24a375e62ac7a368afd686cd6c8d",
        "pbkdf2:sha512:1000$NaCl4salt$6d7f0152a431fce2d7c645da3b8f55da625f1b4ab6af76db54cb271b2f80232430302c5a81ca7d"
            + "459f5c6feffc082bcc8f1448795f08ea77fd7f9e67e9f1c716",
        "scrypt:1024:8:1$Rf8cbG7p$21d03715625589cb4006f6e056c0111e08a3482c55e917fed1b223588ceffcc7adcbdb71135607b3"
            + "411de70c9a99f4c6075d51d57a9fd92555595e78f54bc2c3",
    ]

    /// (scheme, hash) of "correct horse".
    public static let crypt: [(scheme: String, hash: String)] = [
        ("yescrypt", "$y$j9T$NBpvcWCVpZXwjUy5Y.VFP1$aKpbBrNrL16Jed0PHPFgsL/2omMVCpteDyI08zIWun0"),
        (
            "sha-crypt",
            "$6$rneCGQAgDS93fanv$9qofl3JfxJmPZKBEB4X5SO1a7SR6hdRTkZr5xqNKinQEYS0LysYqK0noFF6ErCNXiptOMZVd4sGViz5U7tgyb1"
        ),
        ("sha-crypt", "$5$rounds=10000$KtaPvNCir1xAmIct$PnMh6uRehzPeSJW3LhD1KHZIuuv2gevcD/Ogvaq2HI6"),
        ("bcrypt", "$2y$05$VX7J//T2Wpbgd8KTM1QIs.rWHJ2ru9SCFRx7VlBJCe0ZwZnsWnMMm"),
        ("bcrypt", "$2b$05$FtPS553zeVe.0pIQN5f4POiib8zjASgtJSr0zq0pWcfGhGFTvfYHS"),
        ("bcrypt", "$2a$04$qAT7InIWjbKTrtfCAKkjQeYOESKpbLuknCkK.AXSftSu/PqwOEATy"),
        ("argon2", "$argon2id$v=19$m=1024,t=2,p=2$rITx0T8Zjy0eD0yo66Qkeg$/dqIdgqn3LBdjpLvCYGztMtgx3LJBthSZXKb6UGk1P0"),
        ("argon2", "$argon2i$v=19$m=1024,t=1,p=1$whMV2MpMiqqDAI8MFr2xEg$pfCQlpt5wqQWrGFavhD67l1Pml/Djqmrx+yHqqipB+M"),
    ]
}
