import AuthCore
import Testing

@Suite("the database connection budget checked at start")
struct ConnectionBudgetTests {
    @Test("instances × (pool + listener) must fit in max_connections less the reserved ones")
    func budget() throws {
        let eight = ConnectionBudget(pool: 10, maximum: 100, reserved: 3, instances: 8)
        #expect(eight.perInstance == 11 && eight.need == 88 && eight.available == 97 && eight.instancesThatFit == 8)
        #expect(eight.warning == nil)
        let nine = ConnectionBudget(pool: 10, maximum: 100, reserved: 3, instances: 9)
        let warning = try #require(nine.warning)
        #expect(warning.contains("= 99 connections") && warning.contains("allows 97") && warning.contains("8 such"))
        #expect(ConnectionBudget(pool: 10, maximum: 100, reserved: 3, instances: 0).instances == 1)
        #expect(ConnectionBudget(pool: 250, maximum: 300, reserved: 3, instances: 1).warning == nil)
        #expect(ConnectionBudget(pool: 250, maximum: 300, reserved: 3, instances: 2).warning != nil)
    }
}
