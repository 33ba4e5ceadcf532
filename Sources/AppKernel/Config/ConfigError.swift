/// Why configuration could not be loaded; start-up stops with this message.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    case missing(key: String)
    case invalid(key: String, value: String, expected: String)
    case unknownKey(key: String, source: String)
    case malformedLine(source: String, line: Int)
    case missingFile(String)

    public var description: String {
        switch self {
        case .missing(let key):
            "configuration key \(key) is missing: set it in the environment or in config/<env>.env"
        case .invalid(let key, let value, let expected):
            "configuration key \(key) has the invalid value \"\(value)\": expected \(expected)"
        case .unknownKey(let key, let source):
            "configuration key \(key) in \(source) is not a known key (a typo?); see README's configuration reference"
        case .malformedLine(let source, let line):
            "\(source) line \(line) is not KEY=value"
        case .missingFile(let path):
            "configuration file \(path) is missing"
        }
    }
}
