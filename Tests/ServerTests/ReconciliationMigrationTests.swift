import AppKernel
import Foundation
import Ledger
import Logging
import Migrations
import Payments
import Postgres
import Reconciliation
import TestSupport
import Testing

/// Migration 0059 on a ledger that already holds postings: the old entries are neither
/// rewritten nor lost to reconciliation (their posting time comes from their transaction, and
/// their clearing leg is found by our metadata), while every new entry must record its time.
@Suite(.tags(.database)) struct ReconciliationMigrationTests {
    @Test func aLedgerFromBeforeTheMigrationIsReconciledByItsMetadata() async throws {
        let all = try Migration.load(directory: TestServer.repositoryRoot.appendingPathComponent("migrations"))
        try await TestDatabase.withScratchDatabase { configuration in
            let connection = try await PostgresConnection.connect(configuration)
            defer { connection.closeSoon() }
            _ = try await Migrator(migrations: all.filter { $0.version <= 58 }).migrate(on: connection)
            // A top-up booked before 0059, as the application wrote it then.
            let transaction = UUID(), driver = UUID(), postedAt = Date(timeIntervalSince1970: 1_790_000_000)
            let cash = "driver:\(driver.uuidString.lowercased()):cash"
            try await connection.withTransaction { tx in
                try await tx.execute("INSERT INTO ledger.accounts (id, kind) VALUES (\(cash), 'liability')")
                try await tx.execute("""
                    INSERT INTO ledger.transactions (id, kind, driver_id, description, amount, funding, created_at)
                    VALUES (\(transaction), 'top_up', \(driver), 'Top-up by card', 1500, 'card', \(postedAt))
                    """)
                try await tx.execute("""
                    INSERT INTO ledger.entries (transaction_id, account_id, amount) VALUES (\(transaction), \(cash), -1500), (\(transaction), 'psp_clearing', 1500)
                    """)
            }
            _ = try await Migrator(migrations: all).migrate(on: connection)

            let viewed = try await connection.queryValue(
                "SELECT posted_at FROM ledger.clearing_legs WHERE transaction_id = \(transaction)", as: Date.self)
            #expect(viewed == postedAt)
            // A new entry without its time is refused.
            await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { tx in
                    try await tx.execute("INSERT INTO ledger.entries (transaction_id, account_id, amount) VALUES (\(transaction), 'psp_clearing', 1)")
                }
            }

            let pool = PostgresPool(configuration: configuration, options: .init(maxConnections: 2))
            let app = AppContext(config: try TestServer.config(), database: pool, logger: Logger(label: "recon-migration"), expectedSchemaVersion: 0)
            let reconciliation = Reconciliation(app: app, payments: Payments(app: app, gateway: ReconciliationOfflineGateway(), outcomes: PaymentOutcomes()))
            let report = ReconFixture.header + "\n" + "po_old,2026-09-23 00:00:00,txn_old1,2026-09-21 14:13:20,2026-09-23 00:00:00,gbp,15.00,0.43,14.57,"
                + "charge,ch_old1,Hourglass top-up,15.00,gbp,pi_old1,\(transaction.uuidString.lowercased())\n"
            let summary = try await reconciliation.importReport(bytes: Array(report.utf8), fileName: "old.csv", source: .cli, actor: "test")
            #expect(summary.matchedCount == 1)
            let matchedBy = try await pool.queryValue("SELECT matched_by FROM reconciliation.lines WHERE run_id = \(summary.runID)", as: String.self)
            #expect(matchedBy == "metadata")
            await pool.close()
        }
    }
}
