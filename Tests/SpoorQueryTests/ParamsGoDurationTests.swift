import Testing

@testable import SpoorQuery

struct GoDurationTests {
    @Test(arguments: [
        ("0", Int64(0)), ("+0", 0), ("-0", 0), ("0s", 0),
        ("5s", 5_000_000_000), ("30s", 30_000_000_000), ("1478s", 1_478_000_000_000),
        ("-5s", -5_000_000_000), ("+5s", 5_000_000_000),
        ("5.0s", 5_000_000_000), ("5.6s", 5_600_000_000), ("5.s", 5_000_000_000), (".5s", 500_000_000),
        ("1.0s", 1_000_000_000), ("1.00s", 1_000_000_000), ("1.004s", 1_004_000_000), ("1.0040s", 1_004_000_000),
        ("100.00100s", 100_001_000_000),
        ("10ns", 10), ("11us", 11_000), ("12\u{B5}s", 12_000), ("12\u{3BC}s", 12_000), ("13ms", 13_000_000),
        ("14s", 14_000_000_000), ("15m", 900_000_000_000), ("16h", 57_600_000_000_000),
        ("3h30m", 12_600_000_000_000), ("10.5s4m", 250_500_000_000), ("-2m3.4s", -123_400_000_000),
        ("1h2m3s4ms5us6ns", 3_723_004_005_006), ("39h9m14.425s", 140_954_425_000_000),
        ("52763797000ns", 52_763_797_000), ("0.3333333333333333333h", 1_200_000_000_000),
        ("9007199254740993ns", 9_007_199_254_740_993),
        ("9223372036854775807ns", Int64.max), ("9223372036854775.807us", Int64.max),
        ("-9223372036854775808ns", Int64.min), ("0.100000000000000000000h", 360_000_000_000),
        // Spoor extension: spaces are ignored.
        ("100 ms", 100_000_000), (" 1 h 30 m ", 5_400_000_000_000), ("500us", 500_000),
    ])
    func parsesGoDurations(text: String, nanos: Int64) throws {
        #expect(try GoDuration.parseSigned(text) == nanos)
    }

    @Test(arguments: [
        ("", #"time: invalid duration """#),
        ("3", #"time: missing unit in duration "3""#),
        ("-", #"time: invalid duration "-""#),
        ("s", #"time: invalid duration "s""#),
        (".", #"time: invalid duration ".""#),
        ("-.", #"time: invalid duration "-.""#),
        (".s", #"time: invalid duration ".s""#),
        ("+.s", #"time: invalid duration "+.s""#),
        ("1d", #"time: unknown unit "d" in duration "1d""#),
        ("1.2.3s", #"time: missing unit in duration "1.2.3s""#),
        ("3000000h", #"time: invalid duration "3000000h""#),
        ("9223372036854775808ns", #"time: invalid duration "9223372036854775808ns""#),
        ("9223372036854775.808us", #"time: invalid duration "9223372036854775.808us""#),
        ("9223372036854ms775us808ns", #"time: invalid duration "9223372036854ms775us808ns""#),
        ("-9223372036854775809ns", #"time: invalid duration "-9223372036854775809ns""#),
        ("1s-1s", #"time: unknown unit "s-" in duration "1s-1s""#),
        ("1\"s", #"time: unknown unit "\"s" in duration "1\"s""#),
    ])
    func rejectsWithGoMessage(text: String, message: String) {
        #expect(throws: QueryParameterError(message: message)) { try GoDuration.parseSigned(text) }
    }

    @Test func unsignedParseClampsNegativeToZero() throws {
        #expect(try GoDuration.parse("-1s") == 0)
        #expect(try GoDuration.parse("1.5s") == 1_500_000_000)
        #expect(throws: QueryParameterError(message: #"time: invalid duration "x""#)) { try GoDuration.parse("x") }
    }
}

struct GoStrconvTests {
    @Test(arguments: ["1", "t", "T", "TRUE", "true", "True"])
    func parseBoolAcceptsGoTrueSpellings(text: String) throws {
        #expect(try GoStrconv.parseBool(text) == true)
    }

    @Test(arguments: ["0", "f", "F", "FALSE", "false", "False"])
    func parseBoolAcceptsGoFalseSpellings(text: String) throws {
        #expect(try GoStrconv.parseBool(text) == false)
    }

    @Test(arguments: ["", "yes", "tRUE", "2", " true"])
    func parseBoolRejectsOthers(text: String) {
        #expect(throws: QueryParameterError(message: "strconv.ParseBool: parsing \"\(text)\": invalid syntax")) {
            try GoStrconv.parseBool(text)
        }
    }

    @Test(arguments: [
        ("0", 32, Int64(0)), ("+12", 32, 12), ("-12", 32, -12), ("2147483647", 32, 2_147_483_647),
        ("-2147483648", 32, -2_147_483_648), ("9223372036854775807", 64, Int64.max),
        ("-9223372036854775808", 64, Int64.min), ("007", 64, 7),
    ])
    func parseIntAcceptsSignedDecimals(text: String, bits: Int, value: Int64) throws {
        #expect(try GoStrconv.parseInt(text, bitSize: bits) == value)
    }

    @Test(arguments: [
        ("", 64, "invalid syntax"), ("abc", 64, "invalid syntax"), ("1.5", 64, "invalid syntax"),
        ("-", 64, "invalid syntax"), ("1_000", 64, "invalid syntax"), (" 1", 64, "invalid syntax"),
        ("2147483648", 32, "value out of range"), ("-2147483649", 32, "value out of range"),
        ("9223372036854775808", 64, "value out of range"), ("99999999999999999999999", 64, "value out of range"),
    ])
    func parseIntRejectsWithGoMessage(text: String, bits: Int, reason: String) {
        #expect(throws: QueryParameterError(message: "strconv.ParseInt: parsing \"\(text)\": \(reason)")) {
            try GoStrconv.parseInt(text, bitSize: bits)
        }
    }
}
