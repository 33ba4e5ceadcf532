public import AdminUI
import AppKernel
import Foundation

/// Settings whose change is itself four-eyes (OPS.md: the approval thresholds): changed by an
/// action that another person with the flags permission must approve.
extension FeatureFlagsAdmin {
    public var actions: [AdminAction] { [changeSetting, changeMoneySetting] }

    /// Money thresholds (refund and adjustment limits) are proposed by engineers and approved by
    /// someone who handles money (OPS.md: engineers are read-only on money); the rest by another engineer.
    static let moneyOwners: Set<String> = ["wallet", "refunds"]

    func changeAction(for definition: FlagDefinition) -> AdminAction {
        Self.moneyOwners.contains(definition.owner) ? changeMoneySetting : changeSetting
    }

    var changeSetting: AdminAction { settingAction("change_setting", title: "Change a setting", approver: nil, money: false) }
    var changeMoneySetting: AdminAction {
        settingAction("change_money_setting", title: "Change a money threshold", approver: .money, money: true)
    }

    func settingAction(_ name: String, title: String, approver: AdminPermission?, money: Bool) -> AdminAction {
        AdminAction(name, title: title, permission: .flags, approverPermission: approver, needsSudo: true, plan: { request in
            guard let key = request.form["object"], let definition = flags.definitions[key], definition.fourEyes,
                  Self.moneyOwners.contains(definition.owner) == money else {
                throw AppError.notFound("no four-eyes setting by that name for this action")
            }
            let value = try Self.value(request.form, for: definition)
            let current = await flags.value(definition)
            return AdminActionPlan(
                objectType: "feature_flag", objectID: key,
                effect: "Change \(key) from \(Self.describe(current, definition)) to \(Self.describe(value, definition)).",
                facts: [("Setting", definition.description)],
                parameters: .object(["key": .string(key), "value": value]),
                fourEyes: "changing an approval threshold", returnPath: "/admin/feature_flags")
        }, execute: { execution in
            let key = try execution.string("key")
            guard case .object(let members) = execution.parameters, let value = members["value"] else { throw AppError.invalid("no value") }
            try await flags.set(key, to: value, reason: (execution.reason.rawValue, execution.note), on: execution.transaction)
            return AdminActionOutcome("Changed \(key); every process uses it within 5 seconds.", path: "/admin/feature_flags")
        })
    }
}
