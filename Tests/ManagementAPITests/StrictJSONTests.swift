import JSONValue
import Testing

/// Request bodies are RFC 8259 JSON in UTF-8, and nothing else (as AWS's services accept).
@Suite struct StrictJSONTests {
    func parses(_ text: String) -> JSON? { try? JSON.parse(text) }
    func parses(_ bytes: [UInt8]) -> JSON? { try? JSON.parse(bytes) }

    @Test func validJSONParsesToItsValues() throws {
        let value = try JSON.parse(#" {"a": [1, -2.5e3, true, false, null, "x\u00e9\ud83d\ude00\n"], "b": {}} "#)
        #expect(value["a"]?.array?.count == 6 && value["a"]?.array?[0] == 1 && value["a"]?.array?[1] == .double(-2500))
        #expect(value["a"]?.array?[5] == .string("xé😀\n") && value["b"] == .object([:]))
        #expect(parses("\"é\"") == .string("é"))
        #expect(parses("-0") == .int(0) && parses("123456789012345") == .int(123_456_789_012_345))
    }

    @Test func lenientFormsAreRefused() {
        for text in [#"{"a": 1,}"#, "[1,]", "{'a': 1}", "{a: 1}", "[01]", "[1.]", "[.5]", "[+1]", "[NaN]", "[Infinity]",
                     "// c\n{}", "{} {}", "{}x", "", " ", "[\"\\x41\"]", "[\"\t\"]", "[\"\\ud800\"]", "[\"\\udc00x\"]", "1e999",
                     "\u{FEFF}{}", "[\"a\"", "{\"a\" 1}", "tru", "nulls"] {
            #expect(parses(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test func onlyValidUTF8IsAccepted() {
        // The same object in UTF-16 (with and without a byte-order mark), and broken UTF-8.
        let utf16 = Array("{\"CreationToken\":\"x\"}".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(parses(utf16) == nil && parses([0xFF, 0xFE] + utf16) == nil)
        for bad: [UInt8] in [[0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
                             [0x22, 0xE2, 0x82, 0x22], [0x22, 0x80, 0x22]] {
            #expect(parses(bad) == nil, "\(bad)")
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        #expect(parses(String(repeating: "[", count: 100_000)) == nil)
        #expect(parses(String(repeating: "[", count: 200) + String(repeating: "]", count: 200)) != nil)
    }
}
