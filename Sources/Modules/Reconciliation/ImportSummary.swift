public import Foundation

/// What one import did, as the CLI prints it and the admin shows it.
public struct ImportSummary: Sendable, Equatable {
    /// The run that holds the report (for a repeat, the earlier run that imported it).
    public let runID: UUID
    /// True when this very report had been imported before: nothing was written.
    public let isRepeat: Bool
    public let fileName: String
    public let lineCount: Int
    public let matchedCount: Int
    public let feeLineCount: Int
    public let payoutCount: Int
    /// Exceptions opened, by kind (every kind present, zero when none).
    public let exceptions: [ExceptionKind: Int]
    /// The report's time window (its lines' created times).
    public let createdFrom: Date?
    public let createdTo: Date?

    public var exceptionCount: Int { exceptions.values.reduce(0, +) }
}

/// Where a report came from (recorded on its run).
public enum ImportSource: Sendable, Equatable {
    case cli
    case upload
    /// Fetched from the processor after its `payout.paid` event for this payout.
    case payoutWebhook(payoutID: String)

    var name: String {
        switch self {
        case .cli: "cli"
        case .upload: "upload"
        case .payoutWebhook: "payout_webhook"
        }
    }

    var payoutID: String? {
        if case .payoutWebhook(let id) = self { return id }
        return nil
    }
}

/// How far a streaming import has read, for a progress bar.
public struct ImportProgress: Sendable {
    /// Bytes of the file read so far, and its size (nil when unknown).
    public let bytesRead: Int
    public let totalBytes: Int?
    public let linesRead: Int
}
