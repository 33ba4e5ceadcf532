/// Writes a one-page A4 PDF of text lines (PDF 1.4, the standard Helvetica fonts, WinAnsi
/// encoding): enough for a printable certificate without any PDF library.
enum PDFWriter {
    struct Line {
        let text: String
        var bold = false
        var size = 10
    }

    static func render(_ lines: [Line]) -> [UInt8] {
        var content = "BT\n50 800 Td\n"
        var currentFont = ""
        for line in lines {
            let font = "/\(line.bold ? "F2" : "F1") \(line.size) Tf"
            if font != currentFont {
                content += "\(font)\n"
                currentFont = font
            }
            content += "0 -\(line.size + 5) Td (\(escape(line.text))) Tj\n"
        }
        content += "ET\n"
        let contentBytes = encode(content)
        let objects: [[UInt8]] = [
            encode("<< /Type /Catalog /Pages 2 0 R >>"),
            encode("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            encode("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>"),
            encode("<< /Length \(contentBytes.count) >>\nstream\n") + contentBytes + encode("endstream"),
            encode("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"),
            encode("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"),
        ]
        var out = encode("%PDF-1.4\n")
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(out.count)
            out += encode("\(index + 1) 0 obj\n") + object + encode("\nendobj\n")
        }
        let xref = out.count
        out += encode("xref\n0 \(objects.count + 1)\n0000000000 65535 f \n")
        for offset in offsets {
            let digits = String(offset)
            out += encode(String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n")
        }
        out += encode("trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n")
        return out
    }

    /// Wraps text to lines of at most `width` characters at spaces.
    static func wrap(_ text: String, width: Int = 95) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if !current.isEmpty, current.count + 1 + word.count > width {
                lines.append(current)
                current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// A PDF string literal body: `\`, `(` and `)` escaped; Latin-1 characters as octal
    /// escapes (WinAnsi agrees with Latin-1 there, £ included); anything else becomes `?`.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C: out += "\\\\"
            case 0x28: out += "\\("
            case 0x29: out += "\\)"
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            case 0xA0...0xFF: out += "\\" + String(scalar.value, radix: 8)
            default: out += "?"
            }
        }
        return out
    }

    private static func encode(_ text: String) -> [UInt8] { Array(text.utf8) }
}
