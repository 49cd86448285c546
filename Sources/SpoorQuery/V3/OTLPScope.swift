import SpoorModel

/// An OTLP instrumentation scope (name, version), the key spans are grouped by under a resource. The fields compare by
/// their bytes: two spellings that render alike are two scopes, as they were sent.
package struct OTLPScope: Hashable, Sendable {
    package var name: String
    package var version: String

    /// The scope of a span's view.
    package init(_ view: OTLPSpanView) {
        name = view.scopeName
        version = view.scopeVersion
    }

    package static func == (a: OTLPScope, b: OTLPScope) -> Bool {
        a.name.hasSameUTF8(as: b.name) && a.version.hasSameUTF8(as: b.version)
    }

    package func hash(into hasher: inout Hasher) {
        ExactString(name).hash(into: &hasher)
        ExactString(version).hash(into: &hasher)
    }
}
