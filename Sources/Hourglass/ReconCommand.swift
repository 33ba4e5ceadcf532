import AppKernel
import ArgumentParser
import Audit
import Foundation
import Logging
import Payments
import Postgres
import Reconciliation

/// `hourglass recon`: reconciliation from the command line (finance's batch work and the
/// benchmark). The same code as the admin's upload form and the payout webhook's job.
struct ReconCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recon",
        abstract: "Reconcile the card processor's settlement reports with the ledger.",
        subcommands: [ReconImportCommand.self, ReconCheckUnsettledCommand.self])
}

/// `hourglass recon import FILE`: one itemised payout reconciliation report (CSV or .csv.gz),
/// matched and booked in one transaction; a report imported before changes nothing.
struct ReconImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a settlement report (CSV, optionally gzipped): match every line to the ledger, book fees and payouts.")

    @OptionGroup var options: CommonOptions
    @Argument(help: "The report file (.csv or .csv.gz).") var file: String
    @Flag(help: "Print the summary as one JSON object (for scripts).") var json = false
    @Flag(name: .customLong("no-progress"), help: "No progress bar on standard error.") var noProgress = false

    func run() async throws {
        let config = try Startup.loadConfig(options)
        var logger = Logger(label: "hourglass.recon")
        logger.logLevel = .warning
        let pool = PostgresPool(configuration: Startup.databaseConfiguration(config), options: .init(maxConnections: 2))
        let app = AppContext(config: config, database: pool, logger: logger, expectedSchemaVersion: 0)
        let reconciliation = Reconciliation(app: app, payments: Payments(app: app, gateway: UnavailableGateway(), outcomes: PaymentOutcomes()))
        let actor = "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "unknown")"
        let bar = noProgress || isatty(STDERR_FILENO) == 0 ? nil : ProgressBar()
        let started = ContinuousClock.now
        let summary: ImportSummary
        var report: (@Sendable (ImportProgress) -> Void)?
        if let bar { report = { progress in bar.show(progress) } }
        let path = file
        do {
            summary = try await AuditContext.acting(as: AuditContext(actor: actor)) {
                try await reconciliation.importReport(path: path, source: .cli, actor: actor, progress: report)
            }
        } catch let error as ReconciliationError {
            bar?.clear()
            await pool.close()
            Startup.printError("hourglass: \(file) refused, nothing was written: \(error.detail)")
            throw ExitCode.failure
        }
        bar?.clear()
        await pool.close()
        let elapsed = ContinuousClock.now - started
        if json { print(Self.json(summary)) } else { print(Self.text(summary, elapsed: elapsed)) }
    }

    static func text(_ summary: ImportSummary, elapsed: Duration) -> String {
        let run = summary.runID.uuidString.lowercased()
        guard !summary.isRepeat else { return "\(summary.fileName) was imported before (run \(run)); nothing changed." }
        var lines = ["run \(run): \(summary.lineCount) lines in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))",
                     "  matched \(summary.matchedCount), processor fee lines \(summary.feeLineCount), payouts booked \(summary.payoutCount)",
                     "  exceptions \(summary.exceptionCount):"]
        for kind in ExceptionKind.allCases { lines.append("    \(kind.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \(summary.exceptions[kind] ?? 0)") }
        return lines.joined(separator: "\n")
    }

    static func json(_ summary: ImportSummary) -> String {
        var exceptions: [String: JSONValue] = [:]
        for kind in ExceptionKind.allCases { exceptions[kind.rawValue] = .number(Double(summary.exceptions[kind] ?? 0)) }
        let object: JSONValue = .object([
            "run_id": .string(summary.runID.uuidString.lowercased()), "repeat": .bool(summary.isRepeat), "file": .string(summary.fileName),
            "lines": .number(Double(summary.lineCount)), "matched": .number(Double(summary.matchedCount)),
            "fee_lines": .number(Double(summary.feeLineCount)), "payouts": .number(Double(summary.payoutCount)),
            "exceptions": .object(exceptions),
            "created_from": summary.createdFrom.map { .string(RFC3339.format($0)) } ?? .null,
            "created_to": summary.createdTo.map { .string(RFC3339.format($0)) } ?? .null,
        ])
        return (try? String(decoding: JSON.encode(object), as: UTF8.self)) ?? "{}"
    }
}

/// `hourglass recon check-unsettled`: the daily check, by hand.
struct ReconCheckUnsettledCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-unsettled",
        abstract: "Open a missing_at_psp exception for every card movement the processor has not settled within the allowed days.")

    @OptionGroup var options: CommonOptions
    @Option(help: "Days a card movement may take to settle.") var days = Reconciliation.defaultSettlementDays

    func run() async throws {
        let config = try Startup.loadConfig(options)
        var logger = Logger(label: "hourglass.recon")
        logger.logLevel = .warning
        let pool = PostgresPool(configuration: Startup.databaseConfiguration(config), options: .init(maxConnections: 2))
        let app = AppContext(config: config, database: pool, logger: logger, expectedSchemaVersion: 0)
        let reconciliation = Reconciliation(app: app, payments: Payments(app: app, gateway: UnavailableGateway(), outcomes: PaymentOutcomes()))
        let opened = try await reconciliation.checkUnsettledLegs(now: app.clock.now(), olderThanDays: days)
        await pool.close()
        print("opened \(opened) missing_at_psp exception\(opened == 1 ? "" : "s")")
    }
}

/// A one-line progress bar on standard error, redrawn at most ten times a second.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var lastDraw = ContinuousClock.now - .seconds(1)

    func show(_ progress: ImportProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = ContinuousClock.now
        guard now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        let fraction = progress.totalBytes.map { $0 > 0 ? min(1, Double(progress.bytesRead) / Double($0)) : 1 } ?? 0
        let width = 30, filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(Int(fraction * 100))%  \(progress.linesRead) lines".utf8))
    }

    func clear() {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
