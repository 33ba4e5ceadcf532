public import AppKernel
public import HTTPServer

/// A report the import refuses, whole: nothing of it is written.
public enum ReconciliationError: ResponseError, Equatable {
    /// The file is not a settlement report we can read; `line` is its 1-based line number.
    case malformed(line: Int, message: String)
    /// The file could not be read at all (missing, unreadable, or not valid gzip).
    case unreadable(String)

    public var status: HTTPStatus { .unprocessableContent }
    public var problemSlug: String { "settlement-report-refused" }

    public var detail: String {
        switch self {
        case .malformed(let line, let message): "line \(line): \(message)"
        case .unreadable(let message): message
        }
    }
}
