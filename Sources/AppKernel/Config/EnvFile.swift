public import Foundation

/// Reads `KEY=value` files: `#` comments, blank lines, optional single or double quotes.
/// No variable expansion: what is written is what is read.
public enum EnvFile {
    public static func parse(_ text: String, source: String) throws(ConfigError) -> [String: String] {
        var values: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw .malformedLine(source: source, line: index + 1)
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "_") }) else {
                throw .malformedLine(source: source, line: index + 1)
            }
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[key] = value
        }
        return values
    }

    /// Reads a file; a missing optional file is empty.
    public static func load(_ url: URL, required: Bool) throws(ConfigError) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            if required { throw .missingFile(url.path) }
            return [:]
        }
        return try parse(String(decoding: data, as: UTF8.self), source: url.lastPathComponent)
    }
}
