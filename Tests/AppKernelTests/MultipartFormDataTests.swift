@testable import AppKernel
import Foundation
import Testing

/// RFC 7578 bodies as browsers and mobile SDKs send them, and the malformed and oversized ones a
/// client could send instead.
struct MultipartFormDataTests {
    static let type = "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"
    static let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"

    static func body(_ parts: [String], boundary: String = boundary, preamble: String = "", closing: String = "--\r\n") -> [UInt8] {
        Array((preamble + parts.map { "--\(boundary)\r\n\($0)\r\n" }.joined() + "--\(boundary)\(closing)").utf8)
    }

    @Test func fieldsAndAFileAsChromiumSendsThem() throws {
        let csv = "automatic_payout_id,gross\r\npo_1,12.50\r\n"
        let form = try MultipartFormData(contentType: Self.type, body: Self.body([
            "Content-Disposition: form-data; name=\"csrf\"\r\n\r\ntoken-123",
            "Content-Disposition: form-data; name=\"report\"; filename=\"payout.csv\"\r\nContent-Type: text/csv\r\n\r\n\(csv)",
        ]))
        #expect(form.parts.count == 2)
        #expect(form.fields.map(\.name) == ["csrf"])
        #expect(form.fields.first?.value == "token-123")
        let file = try #require(form.files.first)
        #expect(file.name == "report")
        #expect(file.filename == "payout.csv")
        #expect(file.contentType == "text/csv")
        // The part's own CRLFs are content; only the one before the delimiter is not.
        #expect(file.text == csv)
    }

    @Test func binaryContentWithBytesThatLookLikeDelimitersSurvives() throws {
        var gzip: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 13, 10, 45, 45, 0xff, 0x00]
        gzip += Array("\r\n--not-the-boundary\r\n".utf8) + [0, 1, 2]
        var body = Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"report\"; filename=\"s.csv.gz\"\r\nContent-Type: application/gzip\r\n\r\n".utf8)
        body += gzip + Array("\r\n--\(Self.boundary)--\r\n".utf8)
        let form = try MultipartFormData(contentType: Self.type, body: body)
        #expect(form.files.first?.body == gzip)
        #expect(form.files.first?.contentType == "application/gzip")
    }

    @Test func quotedBoundaryPreambleEpilogueAndEmptyValues() throws {
        let form = try MultipartFormData(contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"a b'c\"", body: Self.body([
            "Content-Disposition: form-data; name=\"note\"\r\n\r\n",
            "content-disposition: FORM-DATA; name=empty_file; filename=\"\"\r\n\r\n",
        ], boundary: "a b'c", preamble: "This is ignored.\r\n", closing: "--\r\nand so is this"))
        #expect(form.fields.first?.name == "note" && form.fields.first?.value == "")
        #expect(form.files.first?.filename == "" && form.files.first?.body == [])
        #expect(form.files.first?.contentType == "text/plain", "RFC 7578 §4.4's default")
    }

    @Test func aFileNameKeepsOnlyItsLastComponentAndItsEscapes() throws {
        let form = try MultipartFormData(contentType: Self.type, body: Self.body([
            "Content-Disposition: form-data; name=\"report\"; filename=\"C:\\\\reports\\\\june \\\"final\\\".csv\"\r\n\r\nx",
        ]))
        #expect(form.files.first?.filename == "june \"final\".csv")
        #expect(MultipartFormData.lastPathComponent("../../etc/passwd") == "passwd")
    }

    @Test func refusesWhatIsNotAWellFormedForm() throws {
        let good = "Content-Disposition: form-data; name=\"a\"\r\n\r\n1"
        let cases: [(String, String, [UInt8])] = [
            ("not multipart", "application/x-www-form-urlencoded", Self.body([good])),
            ("no boundary", "multipart/form-data", Self.body([good])),
            ("a boundary longer than 70", "multipart/form-data; boundary=\(String(repeating: "x", count: 71))", Self.body([good], boundary: String(repeating: "x", count: 71))),
            ("a boundary with a forbidden character", "multipart/form-data; boundary=\"a@b\"", Self.body([good], boundary: "a@b")),
            ("no closing delimiter", Self.type, Array("--\(Self.boundary)\r\n\(good)\r\n".utf8)),
            ("cut off after a delimiter", Self.type, Array("--\(Self.boundary)\r\n\(good)\r\n--\(Self.boundary)".utf8)),
            ("no delimiter at all", Self.type, Array("hello".utf8)),
            ("no disposition", Self.type, Self.body(["Content-Type: text/plain\r\n\r\n1"])),
            ("another disposition", Self.type, Self.body(["Content-Disposition: attachment; name=\"a\"\r\n\r\n1"])),
            ("no name", Self.type, Self.body(["Content-Disposition: form-data; filename=\"a.csv\"\r\n\r\n1"])),
            ("a header line without a colon", Self.type, Self.body(["Content-Disposition: form-data; name=\"a\"\r\nnonsense\r\n\r\n1"])),
            ("junk after a delimiter", Self.type, Array("--\(Self.boundary)junk\r\n\(good)\r\n--\(Self.boundary)--".utf8)),
        ]
        for (what, type, body) in cases {
            #expect(throws: AppError.self, "\(what)") { try MultipartFormData(contentType: type, body: body) }
        }
    }

    @Test func limitsArePartsHeadsAndFieldValues() throws {
        let field = { (index: Int) in "Content-Disposition: form-data; name=\"f\(index)\"\r\n\r\nv" }
        let limits = MultipartFormData.Limits(maxParts: 3, maxHeadBytes: 200, maxFieldBytes: 10)
        #expect(try MultipartFormData(contentType: Self.type, body: Self.body((0..<3).map(field)), limits: limits).parts.count == 3)
        #expect(throws: AppError.self) { try MultipartFormData(contentType: Self.type, body: Self.body((0..<4).map(field)), limits: limits) }
        let longHead = "Content-Disposition: form-data; name=\"a\"\r\nX-Padding: \(String(repeating: "p", count: 300))\r\n\r\nv"
        #expect(throws: AppError.self) { try MultipartFormData(contentType: Self.type, body: Self.body([longHead]), limits: limits) }
        let longValue = "Content-Disposition: form-data; name=\"a\"\r\n\r\n\(String(repeating: "v", count: 11))"
        #expect(throws: AppError.self) { try MultipartFormData(contentType: Self.type, body: Self.body([longValue]), limits: limits) }
        // A file is bounded by the body limit alone, not by the field limit.
        let file = "Content-Disposition: form-data; name=\"a\"; filename=\"a.csv\"\r\n\r\n\(String(repeating: "v", count: 1000))"
        #expect(try MultipartFormData(contentType: Self.type, body: Self.body([file]), limits: limits).files.first?.body.count == 1000)
    }

    @Test func recognisesItsMediaType() {
        #expect(MultipartFormData.isMultipart("multipart/form-data; boundary=x"))
        #expect(MultipartFormData.isMultipart(" Multipart/Form-Data"))
        #expect(!MultipartFormData.isMultipart("multipart/mixed; boundary=x"))
        #expect(!MultipartFormData.isMultipart(nil))
    }
}
