import Foundation
public import AdminUI

/// OPS.md's roles and what each may do, deny by default. Actions on money, cover and claims
/// (issue #12) add their own permissions to these sets.
public enum StaffRole: String, Sendable, CaseIterable, Codable {
    case support, seniorOps = "senior_ops", finance, claims, pricing, engineer, admin

    public var permissions: Set<AdminPermission> {
        switch self {
        case .support: [.signedIn, .read, .revealPII, .notes, .goodwill, .resend]
        case .seniorOps: [.signedIn, .read, .revealPII, .audit, .export, .notes, .money, .goodwill, .cover]
        case .finance: [.signedIn, .read, .audit, .export, .notes, .money, .goodwill, .pricingPublish, .reconcile]
        case .claims: [.signedIn, .read, .revealPII, .notes, .claims]
        case .pricing: [.signedIn, .read, .pricingDraft]
        case .engineer: [.signedIn, .read, .audit, .jobs, .flags, .maintenance, .operate, .resend]
        // Staff and roles only: no driver, money or cover pages.
        case .admin: [.signedIn, .staff, .audit]
        }
    }

    public var title: String { rawValue.replacingOccurrences(of: "_", with: " ") }
}
