import CNNCCore
import Foundation
import Testing

/// SHA-256 against the FIPS 180-4 / NIST example digests, fed whole and in uneven pieces.
@Suite struct SHA256Tests {
    static let vectors: [(message: [UInt8], digest: String)] = [
        ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
         "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test func knownDigests() {
        for (message, digest) in Self.vectors {
            #expect(SHA256.hex(message) == digest, "\(message.count) bytes")
        }
    }

    @Test func piecesGiveTheSameDigestAsTheWhole() {
        for (message, digest) in Self.vectors {
            for pieceSize in [1, 7, 63, 64, 65, 1000] where message.count / pieceSize < 20_000 {
                var hasher = SHA256()
                var start = 0
                while start < message.count {
                    let end = min(start + pieceSize, message.count)
                    message[start..<end].withUnsafeBytes { hasher.update($0) }
                    start = end
                }
                let hex = hasher.finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
                #expect(hex == digest, "\(message.count) bytes in pieces of \(pieceSize)")
            }
        }
    }

    @Test func filesAreHashedAsTheirBytes() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-sha-\(UUID().uuidString)").path
        defer { unlink(path) }
        let million = Self.vectors[3]
        #expect(FileManager.default.createFile(atPath: path, contents: Data(million.message)))
        #expect(try SHA256.hex(fileAt: path) == million.digest)
        #expect(throws: FileError.self) { try SHA256.hex(fileAt: path + ".missing") }
    }
}
