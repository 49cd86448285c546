/// Spoor's own version, shown in the UI's "About" menu (`JAEGER_VERSION`).
package enum SpoorVersion {
    /// The release version, without a leading `v`.
    package static let version = "0.1.0"
    /// The commit built; empty when the build does not stamp it.
    package static let gitCommit = ""
    /// The build date (RFC 3339); empty when the build does not stamp it.
    package static let buildDate = ""
}
