import SpoorModel
import Testing

@testable import SpoorStorage

struct TraceIndexTableTests {
    @Test func idsAreNumberedInInsertionOrderThroughGrowth() {
        var table = TraceIndexTable()
        var random = SystemRandomNumberGenerator()
        var ids: [TraceID] = []
        for n in 0..<10_000 {
            // Some ids share a half, some differ only in the other half.
            let id = n % 3 == 0 ? TraceID(high: 0, low: UInt64(n)) : TraceID(high: random.next(), low: UInt64(n % 5))
            ids.append(id)
            let (index, inserted) = table.insert(id)
            #expect(inserted && index == n)
        }
        #expect(table.count == 10_000 && table.ids == ids)
        for (n, id) in ids.enumerated() {
            #expect(table.index(of: id) == n)
            #expect(table.insert(id) == (n, false))
        }
        #expect(table.index(of: TraceID(high: 1, low: 1)) == nil)
        #expect(TraceIndexTable(capacity: 100_000).index(of: .zero) == nil)
    }
}
