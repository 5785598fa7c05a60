import AuthCrypto
import Foundation
import Synchronization
import Testing

/// Security hardening, round 2, finding 10: an argon2 check stays on the hashing pool's thread.
/// libargon2's `argon2_verify` starts one thread per lane, outside the pool's bound; threads a
/// thread starts inherit its name, so the check runs on a thread with a name of its own and a
/// sampler counts the threads that carry it.
@Suite("argon2 verification: one thread, whatever its lanes")
struct Argon2ThreadsTests {
    /// PyPI argon2-cffi, `PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)`.
    static let fourLanes =
        "$argon2id$v=19$m=65536,t=3,p=4$pUBTHs5rZ5sYK+ShU5bCOA$eVRMo63pWk+GoK5/v1Cku98CKeEpMTzJF5uDomZE4HM"
    static let fourLanesI =
        "$argon2i$v=19$m=65536,t=3,p=4$CGgD5e6XvayXaRWCs8Bzbw$X3hadmvVEcC88RPEbm5gDo2K5ztAJnmJII3o7CdXXzo"

    /// Threads of this process named `name`, now.
    static func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .newlines) == name
        }.count
    }

    @Test("a four-lane argon2id and argon2i hash: right and wrong password, never more than the calling thread")
    func oneThread() async throws {
        let name = "argon2probe"
        let done = Atomic(false)
        let most = Atomic(0)
        let results = Mutex<[Bool]>([])
        let sampler = Thread {
            while !done.load(ordering: .acquiring) {
                let now = Self.threads(named: name)
                if now > most.load(ordering: .relaxed) { most.store(now, ordering: .relaxed) }
            }
        }
        sampler.start()
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let worker = Thread {
                // This thread's name (prctl and pthread_setname_np are out of Swift's reach here).
                try? name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
                for stored in [Self.fourLanes, Self.fourLanesI] {
                    let hash = try? Argon2(parsing: stored)
                    let right = (try? hash?.verify(Array("argon2 lanes".utf8))) ?? nil
                    let wrong = (try? hash?.verify(Array("argon2 lanez".utf8))) ?? nil
                    results.withLock { $0 += [right == true, wrong == false] }
                }
                finished.resume()
            }
            worker.start()
        }
        done.store(true, ordering: .releasing)
        #expect(results.withLock { $0 } == [true, true, true, true])
        #expect(most.load(ordering: .relaxed) == 1, "threads named \(name) at once")
    }
}
