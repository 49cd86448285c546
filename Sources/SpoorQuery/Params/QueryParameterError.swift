/// A request parameter that cannot be used; `message` is the text of the 400 response, worded as Jaeger's.
package struct QueryParameterError: Error, Equatable, CustomStringConvertible {
    /// The client-facing message, e.g. `parameter 'service' is required`.
    package var message: String

    /// Creates an error with its client-facing message.
    package init(message: String) {
        self.message = message
    }

    /// The message.
    package var description: String { message }

    /// Prefixes the message, as Go's `fmt.Errorf("…: %w", err)` does.
    func prefixed(_ prefix: String) -> QueryParameterError {
        QueryParameterError(message: prefix + message)
    }
}

/// Go's `strconv.Quote`-like rendering used inside error messages: `"text"` with `"`, `\` and control
/// characters escaped.
enum GoQuote {
    /// `abc` → `"abc"`, `a"b` → `"a\"b"`.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{00}"..."\u{1F}", "\u{7F}":
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
