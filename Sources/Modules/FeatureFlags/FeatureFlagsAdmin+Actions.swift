public import AdminUI
import AppKernel
import Foundation

/// Settings whose change is itself four-eyes (OPS.md: the approval thresholds): changed by an
/// action that another person with the flags permission must approve.
extension FeatureFlagsAdmin {
    public var actions: [AdminAction] { [changeSetting] }

    var changeSetting: AdminAction {
        AdminAction("change_setting", title: "Change a setting", permission: .flags, needsSudo: true, plan: { request in
            guard let key = request.form["object"], let definition = flags.definitions[key], definition.fourEyes else {
                throw AppError.notFound("no four-eyes setting by that name")
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
