import SpoorStorage

extension UIJSON {
    /// Body of `GET /api/dependencies`: `{"data":[{"parent":…,"child":…,"callCount":n}],"total":0,"limit":0,
    /// "offset":0,"errors":null}`; `data` is `[]` when there are no links.
    package static func dependencies(_ links: [DependencyLink], pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, capacity: 128 + 64 * links.count)
        writer.beginObject()
        writer.key("data")
        writer.beginArray()
        for link in links {
            writer.beginObject()
            writer.key("parent")
            writer.string(link.parent)
            writer.key("child")
            writer.string(link.child)
            writer.key("callCount")
            writer.uint(link.callCount)
            writer.endObject()
        }
        writer.endArray()
        writer.emptyEnvelopeTail()
        writer.endObject()
        return writer.bytes
    }

    /// Body of `GET /api/metrics/minstep`: `{"data":<ms>,"total":0,"limit":0,"offset":0,"errors":null}`.
    package static func minStep(millis: Int64, pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, capacity: 96)
        writer.beginObject()
        writer.key("data")
        writer.int(millis)
        writer.emptyEnvelopeTail()
        writer.endObject()
        return writer.bytes
    }
}

extension JSONWriter {
    /// `"total":0,"limit":0,"offset":0,"errors":null`.
    fileprivate mutating func emptyEnvelopeTail() {
        for name in ["total", "limit", "offset"] {
            key(name)
            int(0)
        }
        key("errors")
        null()
    }
}
