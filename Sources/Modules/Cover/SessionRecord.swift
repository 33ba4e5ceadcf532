import AppKernel
import Foundation
import Postgres

/// A recorded session row, and the session object of the API.
struct SessionRecord: Sendable, Encodable {
    let id: UUID
    let driverID: UUID
    let policyId: UUID
    let startedAt: Date
    let endedAt: Date?
    let coveredUntil: Date
    let wasCut: Bool
    let status: String
    let billedMinutes: Int
    let hourlyRateAmount: Int64
    /// What has been charged so far: the first hour from the moment it opened, the whole
    /// session once closed.
    let chargedAmount: Int64
    let iptAmount: Int64
    /// Nothing can change this session any more (see migration 0026).
    let final: Bool
    /// When a member of staff force-closed it (migration 0048); nil otherwise.
    let closedByStaffAt: Date?
    var currency: String { "GBP" }

    var isClosed: Bool { status == "closed" }

    static let columns: SQL = """
        id, driver_id, policy_id, started_at, ended_at, covered_until, was_cut, status, billed_minutes, hourly_rate_amount, \
        charged_amount, ipt_amount, final, closed_by_staff_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode(UUID.self, at: 0)
        driverID = try row.decode(UUID.self, at: 1)
        policyId = try row.decode(UUID.self, at: 2)
        startedAt = try row.decode(Date.self, at: 3)
        endedAt = try row.decode(Date?.self, at: 4)
        coveredUntil = try row.decode(Date.self, at: 5)
        wasCut = try row.decode(Bool.self, at: 6)
        status = try row.decode(String.self, at: 7)
        billedMinutes = Int(try row.decode(Int32.self, at: 8))
        hourlyRateAmount = try row.decode(Int64.self, at: 9)
        chargedAmount = try row.decode(Int64.self, at: 10)
        iptAmount = try row.decode(Int64.self, at: 11)
        final = try row.decode(Bool.self, at: 12)
        closedByStaffAt = try row.decode(Date?.self, at: 13)
    }

    enum CodingKeys: String, CodingKey {
        case id, policyId, status, startedAt, endedAt, coveredUntil, wasCut, billedMinutes, hourlyRateAmount, chargedAmount,
             iptAmount, currency, final
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(policyId, forKey: .policyId)
        try container.encode(status, forKey: .status)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
        try container.encode(coveredUntil, forKey: .coveredUntil)
        try container.encode(wasCut, forKey: .wasCut)
        try container.encode(billedMinutes, forKey: .billedMinutes)
        try container.encode(hourlyRateAmount, forKey: .hourlyRateAmount)
        try container.encode(chargedAmount, forKey: .chargedAmount)
        try container.encode(iptAmount, forKey: .iptAmount)
        try container.encode(currency, forKey: .currency)
        try container.encode(final, forKey: .final)
    }
}

/// What covers a driver at an instant when no policy is named: a PAYG session or a paid block.
enum CoverAtInstant {
    case session(SessionRecord)
    case block(policyID: UUID, coveredUntil: Date)
}
